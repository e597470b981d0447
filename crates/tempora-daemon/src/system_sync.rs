//! Keeping the system clock on the disciplined PHC's time, as linuxptp's
//! phc2sys does: once a second the platform compares the PHC with
//! CLOCK_REALTIME (PTP_SYS_OFFSET*), and a servo of its own steers the
//! system clock so that it reads the PHC's time minus PTP − UTC (the
//! `currentUtcOffset` when the PHC counts the PTP timescale, IEEE 1588-2019
//! §7.2.3; nothing with ARB). The arithmetic is here, free of I/O.

use tempora_clock::{Correction, Duration, Sample, Servo, Time};

/// The system clock's servo and what it last saw.
pub struct SystemSync {
    servo: Box<dyn Servo>,
    /// The system clock's last offset from its target (system − target).
    pub last_offset: Option<Duration>,
    /// Samples taken.
    pub samples: u64,
}

impl SystemSync {
    /// Steers with `servo`.
    pub fn new(servo: Box<dyn Servo>) -> Self {
        SystemSync {
            servo,
            last_offset: None,
            samples: 0,
        }
    }

    /// One comparison: `phc_minus_system` read at system time `at`, with
    /// `ptp_minus_utc` in force and `reading_delay` the time the reading
    /// took. Returns the correction for the system clock.
    pub fn sample(
        &mut self,
        at: Time,
        phc_minus_system: Duration,
        ptp_minus_utc: Duration,
        reading_delay: Duration,
    ) -> Correction {
        // Target: PHC − (PTP − UTC). system − target:
        let offset = ptp_minus_utc - phc_minus_system;
        self.last_offset = Some(offset);
        self.samples += 1;
        self.servo.sample(Sample {
            local_time: at,
            offset,
            delay: Some(reading_delay),
        })
    }

    /// The servo's frequency correction of the system clock, ppb.
    pub fn frequency_ppb(&self) -> f64 {
        self.servo.frequency_ppb()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tempora_clock::VirtualState;
    use tempora_clock::servo::pi::{PiConfig, PiServo};

    /// A system clock 3 ms and 40 ppm off a PHC that counts TAI: after a
    /// minute of one-second samples it reads the PHC minus 37 s within 1 µs.
    #[test]
    fn system_follows_phc_minus_utc_offset() {
        let start = Time::from_secs_nanos(1_800_000_000, 0);
        let utc = Duration::from_secs(37);
        // The PHC is perfect TAI; the system clock is simulated over it.
        let mut system = VirtualState::new(start, -utc + Duration::from_millis(3), 40_000.0);
        let mut pi = PiConfig::software();
        pi.first_step_threshold = Duration::from_micros(20);
        let mut sync = SystemSync::new(Box::new(PiServo::new(pi)));
        let mut worst_late = Duration::ZERO;
        for s in 0..120 {
            let phc = start + Duration::from_secs(s);
            let sys = system.time_at(phc);
            let c = sync.sample(sys, phc - sys, utc, Duration::from_nanos(500));
            system.apply_at(phc, c);
            if s >= 60 {
                let error = system.time_at(phc) - (phc - utc);
                worst_late = worst_late.max(error.abs());
            }
        }
        assert!(worst_late < Duration::from_micros(1), "{worst_late}");
        assert_eq!(sync.samples, 120);
        assert!(
            (sync.frequency_ppb() + 40_000.0).abs() < 100.0,
            "{}",
            sync.frequency_ppb()
        );
    }
}
