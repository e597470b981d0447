//! Retry intervals (RFC 10049 §5: clients MUST back off exponentially,
//! RECOMMENDED min(1.5^(n-1), 86400) s after n failures, and not reset
//! before a properly signed response; §8.4.2: malfeasance reports
//! min(10 * 1.5^(n-1), 86400) s). Integer arithmetic, no clock.

/// The longest interval, 24 hours, in microseconds.
pub const MAX_US: u64 = 86_400_000_000;

/// The minimum wait in microseconds after `failures` failed attempts
/// (0: none yet, no wait) with a first interval of `initial_us` and a base
/// of 1.5, capped at 24 hours.
pub fn retry_after_us(failures: u32, initial_us: u64) -> u64 {
    if failures == 0 {
        return 0;
    }
    let mut wait = initial_us.min(MAX_US);
    for _ in 1..failures {
        wait = wait.saturating_mul(3) / 2;
        if wait >= MAX_US {
            return MAX_US;
        }
    }
    wait
}

/// Requests over UDP or TCP connections (RFC 10049 §5): 1 s first.
pub fn request_retry_after_us(failures: u32) -> u64 {
    retry_after_us(failures, 1_000_000)
}

/// Malfeasance reports (RFC 10049 §8.4.2): 10 s first.
pub fn report_retry_after_us(failures: u32) -> u64 {
    retry_after_us(failures, 10_000_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_the_rfc_schedule() {
        assert_eq!(request_retry_after_us(0), 0);
        assert_eq!(request_retry_after_us(1), 1_000_000);
        assert_eq!(request_retry_after_us(2), 1_500_000);
        assert_eq!(request_retry_after_us(3), 2_250_000);
        assert_eq!(report_retry_after_us(2), 15_000_000);
        // 1.5^28 s is about 85 000 s, 1.5^29 over a day.
        assert!(request_retry_after_us(29) < MAX_US);
        assert_eq!(request_retry_after_us(30), MAX_US);
        assert_eq!(request_retry_after_us(u32::MAX), MAX_US);
    }
}
