use super::*;
use std::process::Command;

/// A request number as u64 (`Ioctl` is `c_ulong` on glibc, `c_int` on musl).
#[allow(clippy::unnecessary_cast)]
fn num(request: libc::Ioctl) -> u64 {
    request as u64
}

#[test]
fn missing_device_is_a_clear_error() {
    let e = ExttsDevice::open("/dev/ptp-tempora-missing").unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::NotFound);
    let msg = e.to_string();
    assert!(
        msg.contains("cannot open PTP hardware clock /dev/ptp-tempora-missing"),
        "{msg}"
    );
    assert!(ExttsDevice::open("/dev/ptp\0").is_err());
}

#[test]
fn a_device_that_is_no_phc_is_refused() {
    // /dev/null opens read-write but knows no PTP ioctl (ENOTTY).
    let e = ExttsDevice::open("/dev/null").unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains("/dev/null is not a PTP hardware clock (PTP_CLOCK_GETCAPS)"),
        "{msg}"
    );
}

#[test]
fn sizes_and_request_numbers() {
    // _IOC(dir, '=', nr, size) = dir << 30 | size << 16 | 0x3d << 8 | nr,
    // with _IOC_WRITE = 1 and _IOC_READ = 2 (asm-generic/ioctl.h).
    assert_eq!(EXTTS_EVENT_SIZE, 32);
    assert_eq!(mem::size_of::<libc::ptp_extts_request>(), 16);
    assert_eq!(mem::size_of::<libc::ptp_pin_desc>(), 96);
    assert_eq!(mem::size_of::<libc::ptp_clock_caps>(), 80);
    assert_eq!(num(libc::PTP_CLOCK_GETCAPS), 0x8050_3d01);
    assert_eq!(num(libc::PTP_EXTTS_REQUEST), 0x4010_3d02);
    assert_eq!(num(libc::PTP_PIN_SETFUNC), 0x4060_3d07);
    assert_eq!(num(libc::PTP_EXTTS_REQUEST2), 0x4010_3d0b);
    assert_eq!(num(libc::PTP_PIN_SETFUNC2), 0x4060_3d10);
    assert_eq!(libc::PTP_PF_EXTTS, 1);
    assert_eq!(READ_BUFFER % EXTTS_EVENT_SIZE, 0);
    assert_eq!(ExttsEdge::Both.flags(), 6);
}

/// What a C compiler says the installed `linux/ptp_clock.h` defines.
const HEADER_PROBE: &str = r#"
#include <stdio.h>
#include <linux/ptp_clock.h>
int main(void) {
    printf("event_size %zu\n", sizeof(struct ptp_extts_event));
    printf("request_size %zu\n", sizeof(struct ptp_extts_request));
    printf("pin_desc_size %zu\n", sizeof(struct ptp_pin_desc));
    printf("caps_size %zu\n", sizeof(struct ptp_clock_caps));
    printf("getcaps %lu\n", (unsigned long)PTP_CLOCK_GETCAPS);
    printf("extts_request %lu\n", (unsigned long)PTP_EXTTS_REQUEST);
    printf("extts_request2 %lu\n", (unsigned long)PTP_EXTTS_REQUEST2);
    printf("pin_setfunc %lu\n", (unsigned long)PTP_PIN_SETFUNC);
    printf("pin_setfunc2 %lu\n", (unsigned long)PTP_PIN_SETFUNC2);
    printf("pf_extts %d\n", (int)PTP_PF_EXTTS);
    printf("enable %d\n", PTP_ENABLE_FEATURE);
    printf("rising %d\n", PTP_RISING_EDGE);
    printf("falling %d\n", PTP_FALLING_EDGE);
    printf("strict %d\n", PTP_STRICT_FLAGS);
    return 0;
}
"#;

#[test]
fn constants_match_the_installed_header() {
    let header = std::path::Path::new("/usr/include/linux/ptp_clock.h");
    let has_cc = Command::new("cc").arg("--version").output().is_ok();
    if !header.exists() || !has_cc {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI=true needs cc and the Linux uapi headers"
        );
        eprintln!("skipped: no C compiler or no linux/ptp_clock.h");
        return;
    }
    let dir = std::env::temp_dir().join(format!("tempora-extts-probe-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let src = dir.join("probe.c");
    let bin = dir.join("probe");
    std::fs::write(&src, HEADER_PROBE).unwrap();
    let built = Command::new("cc")
        .arg(&src)
        .arg("-o")
        .arg(&bin)
        .output()
        .unwrap();
    let out = built
        .status
        .success()
        .then(|| Command::new(&bin).output().unwrap());
    let _ = std::fs::remove_dir_all(&dir);
    let out = out.unwrap_or_else(|| panic!("{}", String::from_utf8_lossy(&built.stderr)));
    let text = String::from_utf8(out.stdout).unwrap();
    let value = |name: &str| -> u64 {
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
            .unwrap_or_else(|| panic!("{name} missing in {text}"))
    };
    assert_eq!(value("event_size"), EXTTS_EVENT_SIZE as u64);
    assert_eq!(
        value("request_size"),
        mem::size_of::<libc::ptp_extts_request>() as u64
    );
    assert_eq!(
        value("pin_desc_size"),
        mem::size_of::<libc::ptp_pin_desc>() as u64
    );
    assert_eq!(
        value("caps_size"),
        mem::size_of::<libc::ptp_clock_caps>() as u64
    );
    assert_eq!(value("getcaps"), num(libc::PTP_CLOCK_GETCAPS));
    assert_eq!(value("extts_request"), num(libc::PTP_EXTTS_REQUEST));
    assert_eq!(value("extts_request2"), num(libc::PTP_EXTTS_REQUEST2));
    assert_eq!(value("pin_setfunc"), num(libc::PTP_PIN_SETFUNC));
    assert_eq!(value("pin_setfunc2"), num(libc::PTP_PIN_SETFUNC2));
    assert_eq!(value("pf_extts"), u64::from(libc::PTP_PF_EXTTS));
    assert_eq!(value("enable"), u64::from(PTP_ENABLE_FEATURE));
    assert_eq!(value("rising"), u64::from(PTP_RISING_EDGE));
    assert_eq!(value("falling"), u64::from(PTP_FALLING_EDGE));
    assert_eq!(value("strict"), u64::from(PTP_STRICT_FLAGS));
}
