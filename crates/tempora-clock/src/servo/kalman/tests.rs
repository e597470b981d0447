//! Tests of the Kalman servo.

extern crate std;
use super::*;
use crate::servo::pi::{PiConfig, PiServo};
use crate::servo::sim::{Noise, Scenario, rms_over_seeds, run};
use std::println;

fn lan() -> Scenario {
    Scenario {
        noise: Noise::Exponential { mean_ns: 10_000.0 },
        wander_ppb: 0.1,
        ..Scenario::default()
    }
}

fn hw() -> Scenario {
    Scenario {
        noise: Noise::Gaussian { sigma_ns: 5.0 },
        base_delay_ns: 500.0,
        wander_ppb: 0.1,
        ..Scenario::default()
    }
}

fn pi_sw() -> PiServo {
    PiServo::new(PiConfig::software())
}

fn pi_hw() -> PiServo {
    PiServo::new(PiConfig::hardware())
}

fn kalman() -> KalmanServo {
    KalmanServo::default()
}

fn at(t_s: f64, offset_ns: f64) -> Sample {
    Sample {
        local_time: Time::from_scaled_nanos((t_s * 1e9 * 65536.0) as i128),
        offset: Duration::from_secs_f64(offset_ns * 1e-9),
        delay: Some(Duration::from_micros(100)),
    }
}

#[test]
fn constant_offset_is_slewed_away() {
    // 15 µs: below the first step threshold, so it is slewed.
    let sc = Scenario {
        initial_offset_ns: 15_000.0,
        freq_error_ppb: 0.0,
        settle_bound_ns: 50.0,
        ..hw()
    };
    let mut k = kalman();
    let r = run(&mut k, &sc);
    assert_eq!(r.steps_taken, 0);
    assert!(r.rms_ns < 5.0, "{r:?}");
    assert!(r.settled_at < 10, "{r:?}");
    assert_eq!(k.state(), ServoState::Locked);
}

#[test]
fn constant_frequency_error_is_learned() {
    let sc = Scenario {
        freq_error_ppb: 10_000.0,
        wander_ppb: 0.0,
        ..hw()
    };
    let mut k = kalman();
    let r = run(&mut k, &sc);
    assert!(r.rms_ns < 5.0, "{r:?}");
    assert!((k.frequency_error_ppb() - 10_000.0).abs() < 0.5);
    assert!((k.frequency_ppb() + 10_000.0).abs() < 20.0);
}

#[test]
fn first_step_then_slew() {
    let mut k = kalman();
    assert_eq!(k.sample(at(0.0, 1e6)), Correction::None);
    let Correction::Step {
        step,
        frequency_ppb,
    } = k.sample(at(1.0, 1e6 + 10_000.0))
    else {
        panic!("no step")
    };
    assert!((step.as_nanos_f64() + 1.01e6).abs() < 100.0, "{step}");
    // (Not quite 10 ppm: the prior still counts a little.)
    assert!((frequency_ppb + 10_000.0).abs() < 20.0, "{frequency_ppb}");
    assert_eq!(k.state(), ServoState::Jump);
    // The step is taken into account: the next sample, 1 s later on
    // the stepped clock, shows no offset and no time discontinuity.
    let c = k.sample(at(2.0 - 1.01e-3, 0.0));
    assert!(matches!(c, Correction::Frequency { .. }), "{c:?}");
    assert!(k.offset_estimate().abs() < Duration::from_nanos(100));
    // No later steps without a step threshold.
    let c = k.sample(at(3.0 - 1.01e-3, 1e6));
    assert!(!matches!(c, Correction::Step { .. }), "{c:?}");
}

#[test]
fn step_in_time_is_followed() {
    // The reference jumps by 1 ms: rejected a few times as popcorn,
    // then accepted and slewed (no step threshold).
    let sc = Scenario {
        time_step: Some((1000, 1e6)),
        warmup: 1100,
        ..hw()
    };
    let mut k = kalman();
    let r = run(&mut k, &sc);
    assert_eq!(k.outliers(), 5);
    assert!(r.max_abs_ns < 50.0, "{r:?}");
    let mut pi = pi_hw();
    let rp = run(&mut pi, &sc);
    assert!(r.rms_ns <= rp.rms_ns, "{r:?} {rp:?}");
}

#[test]
fn popcorn_barely_moves_the_clock() {
    let clean = hw();
    let spiky = Scenario {
        popcorn: (0.02, 1e6),
        ..hw()
    };
    let mut k = kalman();
    let base = run(&mut k, &clean);
    let mut k = kalman();
    let r = run(&mut k, &spiky);
    assert!(k.outliers() >= 20, "{}", k.outliers());
    assert!(r.rms_ns < 1.2 * base.rms_ns, "{r:?} {base:?}");
    assert!(r.max_abs_ns < 25.0, "{r:?}");
    // Also on the noisy network.
    let clean = rms_over_seeds(kalman, &lan(), 3);
    let spiky = rms_over_seeds(
        kalman,
        &Scenario {
            popcorn: (0.02, 1e6),
            ..lan()
        },
        3,
    );
    assert!(spiky < 1.2 * clean, "{spiky} {clean}");
}

#[test]
fn gaps_only_add_uncertainty() {
    for sc in [
        Scenario {
            gaps: Some((100, 30)),
            ..hw()
        },
        Scenario {
            gaps: Some((60, 10)),
            wander_ppb: 1.0,
            ..hw()
        },
        Scenario {
            gaps: Some((100, 20)),
            ..lan()
        },
    ] {
        let pi = if matches!(sc.noise, Noise::Gaussian { .. }) {
            rms_over_seeds(pi_hw, &sc, 3)
        } else {
            rms_over_seeds(pi_sw, &sc, 3)
        };
        let k = rms_over_seeds(kalman, &sc, 3);
        assert!(k < pi, "{k} {pi} {sc:?}");
    }
}

#[test]
fn wander_is_tracked() {
    for wander in [0.5, 2.0, 10.0] {
        let sc = Scenario {
            wander_ppb: wander,
            ..hw()
        };
        let pi = rms_over_seeds(pi_hw, &sc, 4);
        let k = rms_over_seeds(kalman, &sc, 4);
        assert!(k < 1.05 * pi, "wander {wander}: kalman {k} pi {pi}");
    }
    // The wander estimate follows the oscillator (q = wander²).
    let mut k = kalman();
    run(
        &mut k,
        &Scenario {
            wander_ppb: 10.0,
            ..hw()
        },
    );
    let q = k.wander_estimate();
    assert!((10.0..1000.0).contains(&q), "{q}");
}

#[test]
fn temperature_frequency_step() {
    for sc in [
        Scenario {
            freq_step: Some((1000, 200.0)),
            ..hw()
        },
        Scenario {
            freq_step: Some((1000, -1000.0)),
            ..lan()
        },
    ] {
        let hw = matches!(sc.noise, Noise::Gaussian { .. });
        let pi = if hw {
            rms_over_seeds(pi_hw, &sc, 3)
        } else {
            rms_over_seeds(pi_sw, &sc, 3)
        };
        let k = rms_over_seeds(kalman, &sc, 3);
        assert!(k < pi, "{k} {pi} {sc:?}");
    }
}

#[test]
fn beats_pi_on_noisy_networks() {
    // Exponential queueing (10 µs mean each way) with the delay as a
    // hint, without it, and heavy-tailed congestion.
    let sc = lan();
    let pi = rms_over_seeds(pi_sw, &sc, 4);
    let k = rms_over_seeds(kalman, &sc, 4);
    std::println!("exponential: pi {pi:.0} ns, kalman {k:.0} ns");
    assert!(k < 0.4 * pi, "{k} {pi}");
    let blind = KalmanConfig {
        use_delay: false,
        ..KalmanConfig::default()
    };
    let kb = rms_over_seeds(|| KalmanServo::new(blind), &sc, 4);
    std::println!("exponential, delay unused: kalman {kb:.0} ns");
    assert!(kb < 0.6 * pi, "{kb} {pi}");
    let sc = Scenario {
        noise: Noise::Pareto {
            scale_ns: 20_000.0,
            shape: 1.5,
        },
        ..lan()
    };
    let pi = rms_over_seeds(pi_sw, &sc, 4);
    let k = rms_over_seeds(kalman, &sc, 4);
    std::println!("pareto: pi {pi:.0} ns, kalman {k:.0} ns");
    assert!(k < 0.2 * pi, "{k} {pi}");
}

#[test]
fn not_worse_than_pi_with_hardware_time_stamps() {
    for sc in [
        hw(),
        Scenario { loss: 0.1, ..hw() },
        Scenario {
            interval_s: 0.125,
            steps: 4000,
            warmup: 800,
            ..hw()
        },
        Scenario {
            interval_s: 8.0,
            steps: 800,
            warmup: 100,
            ..hw()
        },
    ] {
        let pi = rms_over_seeds(pi_hw, &sc, 4);
        let k = rms_over_seeds(kalman, &sc, 4);
        std::println!("hw {}s: pi {pi:.2} ns, kalman {k:.2} ns", sc.interval_s);
        assert!(k < 1.05 * pi, "{k} {pi} {sc:?}");
    }
}

#[test]
fn converges_no_slower_than_pi() {
    for (sc, pi) in [
        (
            Scenario {
                initial_offset_ns: 1e6,
                settle_bound_ns: 100.0,
                ..hw()
            },
            pi_hw as fn() -> PiServo,
        ),
        (
            Scenario {
                initial_offset_ns: 15e3,
                freq_error_ppb: 1000.0,
                settle_bound_ns: 100.0,
                ..hw()
            },
            pi_hw,
        ),
        (
            Scenario {
                initial_offset_ns: 1e6,
                settle_bound_ns: 20_000.0,
                ..lan()
            },
            pi_sw,
        ),
    ] {
        let rp = run(&mut pi(), &sc);
        let rk = run(&mut kalman(), &sc);
        assert!(rk.settled_at <= rp.settled_at, "{rk:?} {rp:?}");
        assert!(rk.settled_at < 20, "{rk:?}");
    }
}

#[test]
fn measurement_noise_is_learned() {
    let mut k = kalman();
    run(
        &mut k,
        &Scenario {
            noise: Noise::Gaussian { sigma_ns: 20.0 },
            ..hw()
        },
    );
    let (r0, _) = k.noise_model();
    assert!((200.0..800.0).contains(&r0), "{r0}");
    // Exponential queueing: the delay excess explains the error,
    // variance e²/12.
    let mut k = kalman();
    run(&mut k, &lan());
    let (_, kappa) = k.noise_model();
    assert!((0.05..0.2).contains(&kappa), "{kappa}");
}

#[test]
fn bad_inputs_neither_panic_nor_poison() {
    let mut k = kalman();
    let wild = [
        Sample {
            local_time: Time::from_scaled_nanos(i128::MAX),
            offset: Duration::MAX,
            delay: Some(Duration::MAX),
        },
        Sample {
            local_time: Time::from_scaled_nanos(i128::MIN),
            offset: -Duration::MAX,
            delay: Some(-Duration::MAX),
        },
        Sample {
            local_time: Time::EPOCH,
            offset: Duration::from_secs(1 << 40),
            delay: None,
        },
        Sample {
            local_time: Time::EPOCH,
            offset: Duration::ZERO,
            delay: Some(Duration::ZERO),
        },
    ];
    for (i, s) in wild.iter().cycle().take(40).enumerate() {
        k.sample(*s);
        if i % 7 == 0 {
            k.set_interval(Duration::ZERO);
            k.set_interval(-Duration::MAX);
            k.set_interval(Duration::MAX);
            k.set_max_frequency(f64::NAN);
            k.stepped(Duration::MAX);
        }
        let f = k.frequency_ppb();
        assert!(f.is_finite() && f.abs() <= 900_000.0, "{f}");
    }
    k.set_max_frequency(f64::INFINITY);
    k.set_max_frequency(900_000.0);
    // Still works afterwards.
    k.reset();
    let r = run(&mut k, &hw());
    assert!(r.rms_ns < 5.0, "{r:?}");
    // A nonsense configuration is made sane.
    let mut k = KalmanServo::new(KalmanConfig {
        initial_frequency_uncertainty_ppb: f64::NAN,
        min_wander: -1.0,
        model_dwell_s: f64::NAN,
        noise_memory: f64::NAN,
        steer_intervals: f64::NAN,
        initial_frequency_ppb: f64::INFINITY,
        ..KalmanConfig::default()
    });
    let r = run(&mut k, &hw());
    assert!(r.rms_ns < 10.0, "{r:?}");
}

#[test]
fn random_garbage_keeps_every_servo_sane() {
    use crate::servo::policy::{PolicyConfig, StepPolicy};
    use crate::servo::sim::Rng;
    let mut rng = Rng::new(99);
    let mut servos: [&mut dyn Servo; 3] = [
        &mut kalman(),
        &mut pi_hw(),
        &mut StepPolicy::new(kalman(), PolicyConfig::default()),
    ];
    let mut t: i128 = 0;
    for i in 0..20_000 {
        let pick = |rng: &mut Rng, scale: i128| -> i128 {
            match rng.next_u64() % 6 {
                0 => (rng.next_u64() as i64) as i128 * (rng.next_u64() as i64) as i128,
                1 => 0,
                _ => ((rng.next_u64() % 2_000_001) as i128 - 1_000_000) * scale,
            }
        };
        t = t.saturating_add(pick(&mut rng, 1 << 26));
        let s = Sample {
            local_time: Time::from_scaled_nanos(t),
            offset: Duration::from_scaled_nanos(pick(&mut rng, 1 << 10)),
            delay: match rng.next_u64() % 3 {
                0 => None,
                _ => Some(Duration::from_scaled_nanos(pick(&mut rng, 1 << 12))),
            },
        };
        for servo in servos.iter_mut() {
            if i % 1000 == 0 {
                servo.set_interval(Duration::from_scaled_nanos(pick(&mut rng, 1 << 30)));
            }
            let check = |f: f64| f.is_finite() && f.abs() <= 900_000.0;
            match servo.sample(s) {
                Correction::None => {}
                Correction::Step { frequency_ppb, .. }
                | Correction::Frequency { frequency_ppb } => {
                    assert!(check(frequency_ppb), "{frequency_ppb}")
                }
            }
            assert!(check(servo.frequency_ppb()));
        }
    }
    // And they still work.
    for servo in servos.iter_mut() {
        servo.reset();
        let r = run(&mut **servo, &hw());
        assert!(r.rms_ns < 10.0, "{} {r:?}", servo.name());
    }
}

#[test]
fn reset_keeps_the_frequency() {
    let mut k = kalman();
    run(&mut k, &hw());
    let f = k.frequency_error_ppb();
    k.reset();
    assert_eq!(k.state(), ServoState::Unlocked);
    assert_eq!(k.frequency_error_ppb(), f);
    // Time going backwards by itself starts over the same way.
    let mut k = kalman();
    run(&mut k, &hw());
    let f = k.frequency_error_ppb();
    k.sample(at(0.0, 0.0));
    assert_eq!(k.state(), ServoState::Unlocked);
    assert!((k.frequency_error_ppb() - f).abs() < 1e-6);
}

#[test]
#[ignore = "prints a comparison table"]
fn report() {
    let cases: [(&str, Scenario, bool); 15] = [
        ("lan sw", lan(), true),
        ("lan sw, no delay weighting", lan(), true),
        (
            "congested pareto",
            Scenario {
                noise: Noise::Pareto {
                    scale_ns: 20_000.0,
                    shape: 1.5,
                },
                ..lan()
            },
            true,
        ),
        ("hw 5ns", hw(), false),
        (
            "hw 5ns wander 2",
            Scenario {
                wander_ppb: 2.0,
                ..hw()
            },
            false,
        ),
        ("hw 10% loss", Scenario { loss: 0.1, ..hw() }, false),
        (
            "hw freq step 200ppb",
            Scenario {
                freq_step: Some((1000, 200.0)),
                ..hw()
            },
            false,
        ),
        (
            "lan gaps 20s",
            Scenario {
                gaps: Some((100, 20)),
                ..lan()
            },
            true,
        ),
        (
            "lan popcorn 1ms",
            Scenario {
                popcorn: (0.02, 1e6),
                ..lan()
            },
            true,
        ),
        (
            "lan 10% loss wander 1",
            Scenario {
                loss: 0.1,
                wander_ppb: 1.0,
                ..lan()
            },
            true,
        ),
        (
            "ptp one-way sw",
            Scenario {
                noise: Noise::OneWay { mean_ns: 10_000.0 },
                ..lan()
            },
            true,
        ),
        (
            "lan wander 10",
            Scenario {
                wander_ppb: 10.0,
                ..lan()
            },
            true,
        ),
        (
            "lan freq step 1ppm",
            Scenario {
                freq_step: Some((1000, 1000.0)),
                ..lan()
            },
            true,
        ),
        (
            "hw wander 10 loss",
            Scenario {
                wander_ppb: 10.0,
                loss: 0.1,
                ..hw()
            },
            false,
        ),
        (
            "hw 8s interval",
            Scenario {
                interval_s: 8.0,
                steps: 1000,
                warmup: 100,
                ..hw()
            },
            false,
        ),
    ];
    for (i, (name, sc, sw)) in cases.iter().enumerate() {
        let pi_cfg = if *sw {
            PiConfig::software()
        } else {
            PiConfig::hardware()
        };
        let pi = rms_over_seeds(|| PiServo::new(pi_cfg), sc, 4);
        let kcfg = KalmanConfig {
            use_delay: i != 1,
            ..KalmanConfig::default()
        };
        let k = rms_over_seeds(|| KalmanServo::new(kcfg), sc, 4);
        let mut ks = KalmanServo::new(kcfg);
        let rep = run(&mut ks, sc);
        println!(
            "{name:32} pi {pi:10.1} kalman {k:10.1} ratio {:5.2}  (r0 {:.3e} kappa {:.3} q {:.2e} outl {} settled {})",
            k / pi,
            ks.noise_model().0,
            ks.noise_model().1,
            ks.wander_estimate(),
            ks.outliers(),
            rep.settled_at
        );
    }
    for (name, sc) in [
        (
            "conv hw 1ms",
            Scenario {
                initial_offset_ns: 1e6,
                ..hw()
            },
        ),
        (
            "conv hw 15us",
            Scenario {
                initial_offset_ns: 15e3,
                freq_error_ppb: 1000.0,
                ..hw()
            },
        ),
        (
            "conv hw 15us -50ppm",
            Scenario {
                initial_offset_ns: 15e3,
                freq_error_ppb: -50e3,
                ..hw()
            },
        ),
        (
            "conv sw 1ms",
            Scenario {
                initial_offset_ns: 1e6,
                ..lan()
            },
        ),
        (
            "conv sw 15us",
            Scenario {
                initial_offset_ns: 15e3,
                freq_error_ppb: 1000.0,
                ..lan()
            },
        ),
    ] {
        let sw = name.contains("sw");
        let pi_cfg = if sw {
            PiConfig::software()
        } else {
            PiConfig::hardware()
        };
        let mut pi = PiServo::new(pi_cfg);
        let rp = run(&mut pi, &sc);
        let sc = Scenario {
            settle_bound_ns: 10.0 * rp.rms_ns,
            ..sc
        };
        let rp = run(&mut PiServo::new(pi_cfg), &sc);
        let rk = run(&mut KalmanServo::default(), &sc);
        println!(
            "{name:24} bound {:8.1} pi settled {:5} kalman settled {:5} (max after warmup pi {:.1} k {:.1})",
            sc.settle_bound_ns, rp.settled_at, rk.settled_at, rp.max_abs_ns, rk.max_abs_ns
        );
    }
}
