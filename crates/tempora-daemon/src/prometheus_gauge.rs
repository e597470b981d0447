//! One gauge in the Prometheus text format, for [`crate::prometheus`] and
//! the sections it renders with it ([`crate::prometheus_served`]).

/// Appends the gauge `name` with its help line.
pub(crate) fn gauge(out: &mut String, name: &str, help: &str, value: f64) {
    out.push_str(&format!(
        "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}\n"
    ));
}
