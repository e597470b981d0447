//! Selection, clustering and combining (RFC 5905 §11.2): which sources tell
//! the truth, and what time they tell together. Allocation-free: at most
//! [`MAX_CANDIDATES`] candidates.

use tempora_clock::Duration;

/// The most candidates considered at once.
pub const MAX_CANDIDATES: usize = 32;

/// Clustering stops at this many survivors (RFC 5905 §11.2.2: NMIN).
const MIN_CLUSTER: usize = 3;

/// A source fit for selection.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Candidate {
    /// Its filtered offset θ.
    pub offset: Duration,
    /// Its root distance λ: the half-width of its correctness interval.
    pub root_distance: Duration,
    /// Its jitter ψ.
    pub jitter: Duration,
}

/// The outcome of a selection.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Selection {
    /// The combined offset of the survivors, weighted by 1/λ (§11.2.3).
    pub offset: Duration,
    /// The system peer: the survivor with the smallest root distance (its
    /// index among the candidates).
    pub system_peer: usize,
    /// Which candidates survived (truechimers after clustering).
    pub survivors: [bool; MAX_CANDIDATES],
    /// How many.
    pub count: usize,
    /// The intersection interval.
    pub low: Duration,
    /// The intersection interval's upper end.
    pub high: Duration,
}

/// Why no time could be selected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SelectError {
    /// No candidates.
    NoCandidates,
    /// Fewer agree than `minimum_agreeing` (or no majority agrees).
    NoMajority,
}

/// The intersection algorithm (RFC 5905 §11.2.1, Marzullo's algorithm as
/// modified there): the smallest interval that holds the midpoints of a
/// majority of correctness intervals [θ − λ, θ + λ], allowing f
/// falsetickers for f = 0, 1, … while 2f < n. Candidates whose interval
/// misses it are falsetickers. Then clustering (§11.2.2) drops outliers
/// while more than three survive, and combining (§11.2.3) averages them.
pub fn select(candidates: &[Candidate], minimum_agreeing: usize) -> Result<Selection, SelectError> {
    let n = candidates.len().min(MAX_CANDIDATES);
    let candidates = candidates.get(..n).unwrap_or_default();
    if n == 0 {
        return Err(SelectError::NoCandidates);
    }
    // Endpoints: (value, type) with −1 for a low end, 0 for a midpoint and
    // +1 for a high end.
    let mut ends = [(Duration::ZERO, 0i8); 3 * MAX_CANDIDATES];
    for (i, c) in candidates.iter().enumerate() {
        let lambda = c.root_distance.max(Duration::ZERO);
        ends[3 * i] = (c.offset - lambda, -1);
        ends[3 * i + 1] = (c.offset, 0);
        ends[3 * i + 2] = (c.offset + lambda, 1);
    }
    let ends = &mut ends[..3 * n];
    ends.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
    let mut interval = None;
    let mut f = 0;
    while 2 * f < n {
        let wanted = (n - f) as i64;
        let (mut chime, mut found) = (0i64, 0usize);
        let mut low = None;
        for (value, ty) in ends.iter() {
            chime -= i64::from(*ty);
            if chime >= wanted {
                low = Some(*value);
                break;
            }
            if *ty == 0 {
                found += 1;
            }
        }
        let (mut chime, mut high) = (0i64, None);
        for (value, ty) in ends.iter().rev() {
            chime += i64::from(*ty);
            if chime >= wanted {
                high = Some(*value);
                break;
            }
            if *ty == 0 {
                found += 1;
            }
        }
        if let (Some(l), Some(h)) = (low, high) {
            if found <= f && l < h {
                interval = Some((l, h));
                break;
            }
        }
        f += 1;
    }
    let (low, high) = interval.ok_or(SelectError::NoMajority)?;
    let mut survivors = [false; MAX_CANDIDATES];
    let mut count = 0;
    for (i, c) in candidates.iter().enumerate() {
        let lambda = c.root_distance.max(Duration::ZERO);
        if c.offset + lambda >= low && c.offset - lambda <= high {
            survivors[i] = true;
            count += 1;
        }
    }
    if count < minimum_agreeing.max(1) {
        return Err(SelectError::NoMajority);
    }
    // Clustering (§11.2.2): drop the survivor with the largest selection
    // jitter while it exceeds the smallest source jitter.
    while count > MIN_CLUSTER {
        let mut worst = (0usize, -1.0f64);
        let mut min_jitter = f64::MAX;
        for i in (0..n).filter(|i| survivors[*i]) {
            let mut sum = 0.0;
            for j in (0..n).filter(|j| survivors[*j] && *j != i) {
                let d = (candidates[i].offset - candidates[j].offset).as_secs_f64();
                sum += d * d;
            }
            let phi = sum / (count - 1) as f64;
            if phi > worst.1 {
                worst = (i, phi);
            }
            let psi = candidates[i].jitter.as_secs_f64();
            min_jitter = min_jitter.min(psi * psi);
        }
        if worst.1 <= min_jitter {
            break;
        }
        survivors[worst.0] = false;
        count -= 1;
    }
    // Combining (§11.2.3): weights 1/λ; the system peer has the least λ.
    let floor = Duration::from_nanos(1);
    let (mut sum_w, mut sum_wx) = (0.0f64, 0.0f64);
    let mut system_peer = 0;
    let mut best = Duration::MAX;
    for i in (0..n).filter(|i| survivors[*i]) {
        let lambda = candidates[i].root_distance.max(floor);
        let w = 1.0 / lambda.as_secs_f64();
        sum_w += w;
        sum_wx += w * candidates[i].offset.as_secs_f64();
        if lambda < best {
            best = lambda;
            system_peer = i;
        }
    }
    Ok(Selection {
        offset: Duration::from_secs_f64(sum_wx / sum_w),
        system_peer,
        survivors,
        count,
        low,
        high,
    })
}

/// The selection with trusted sources (chrony's `trust`): as [`select`],
/// unless the majority's intersection leaves a trusted candidate out. Then
/// the trusted candidates' own intersection decides: the untrusted
/// candidates whose intervals miss it are the falsetickers, and the
/// clustering and combining run over the trusted survivors and the
/// untrusted candidates that agree with them. A trusted candidate is
/// therefore a falseticker only when other trusted ones outvote it.
/// `trusted[i]` says whether candidate `i` is trusted (missing entries are
/// not). `minimum_agreeing` applies to the plain selection,
/// `trusted_minimum` to the survivors when the trusted ones decide.
pub fn select_trusted(
    candidates: &[Candidate],
    trusted: &[bool],
    minimum_agreeing: usize,
    trusted_minimum: usize,
) -> Result<Selection, SelectError> {
    let n = candidates.len().min(MAX_CANDIDATES);
    let candidates = candidates.get(..n).unwrap_or_default();
    let is_trusted = |i: usize| trusted.get(i).copied().unwrap_or(false);
    let plain = select(candidates, minimum_agreeing);
    if !(0..n).any(is_trusted) {
        return plain;
    }
    if let Ok(s) = &plain {
        if (0..n).filter(|i| is_trusted(*i)).all(|i| s.survivors[i]) {
            return plain;
        }
    }
    // The trusted candidates' intersection (a majority of them).
    let (mut sub, mut map, mut m) = ([candidates[0]; MAX_CANDIDATES], [0usize; MAX_CANDIDATES], 0);
    for i in (0..n).filter(|i| is_trusted(*i)) {
        sub[m] = candidates[i];
        map[m] = i;
        m += 1;
    }
    let t = select(&sub[..m], 1)?;
    let agrees = |c: &Candidate| {
        let lambda = c.root_distance.max(Duration::ZERO);
        c.offset + lambda >= t.low && c.offset - lambda <= t.high
    };
    // The trusted survivors and the untrusted candidates that agree.
    let mut k = 0;
    for (i, c) in candidates.iter().enumerate() {
        let keep = if is_trusted(i) {
            (0..m).any(|j| map[j] == i && t.survivors[j])
        } else {
            agrees(c)
        };
        if keep {
            sub[k] = *c;
            map[k] = i;
            k += 1;
        }
    }
    let inner = select(&sub[..k], 1)
        .ok()
        .filter(|s| (0..k).all(|j| !is_trusted(map[j]) || s.survivors[j]));
    // Should the agreeing untrusted ones outvote a trusted one there, the
    // trusted survivors alone stand.
    let (inner, k) = match inner {
        Some(s) => (s, k),
        None => {
            let mut k = 0;
            for i in (0..n).filter(|i| is_trusted(*i)) {
                if agrees(&candidates[i]) {
                    sub[k] = candidates[i];
                    map[k] = i;
                    k += 1;
                }
            }
            (select(&sub[..k], 1)?, k)
        }
    };
    let mut survivors = [false; MAX_CANDIDATES];
    for j in (0..k).filter(|j| inner.survivors[*j]) {
        survivors[map[j]] = true;
    }
    if inner.count < trusted_minimum.max(1) {
        return Err(SelectError::NoMajority);
    }
    Ok(Selection {
        offset: inner.offset,
        system_peer: map[inner.system_peer],
        survivors,
        count: inner.count,
        low: t.low,
        high: t.high,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(offset_ms: i64, lambda_ms: i64) -> Candidate {
        Candidate {
            offset: Duration::from_millis(offset_ms),
            root_distance: Duration::from_millis(lambda_ms),
            jitter: Duration::from_micros(100),
        }
    }

    #[test]
    fn one_falseticker_among_four_is_voted_out() {
        let cands = [c(1, 5), c(2, 5), c(0, 5), c(500, 5)];
        let s = select(&cands, 1).unwrap();
        assert_eq!(&s.survivors[..4], &[true, true, true, false]);
        assert_eq!(s.count, 3);
        assert!((s.offset - Duration::from_millis(1)).abs() < Duration::from_micros(1));
        assert!(s.low <= Duration::from_millis(1) && s.high >= Duration::from_millis(1));
    }

    #[test]
    fn two_disagreeing_sources_have_no_majority() {
        assert_eq!(
            select(&[c(0, 1), c(100, 1)], 1),
            Err(SelectError::NoMajority)
        );
        assert_eq!(select(&[], 1), Err(SelectError::NoCandidates));
        // One source is its own majority.
        let s = select(&[c(7, 1)], 1).unwrap();
        assert_eq!(s.offset, Duration::from_millis(7));
        // ... unless more must agree.
        assert_eq!(select(&[c(7, 1)], 2), Err(SelectError::NoMajority));
    }

    #[test]
    fn weights_by_root_distance_and_picks_the_nearest() {
        let s = select(&[c(0, 2), c(1, 3)], 1).unwrap();
        // Weights 1/2 and 1/3: (0 + 1 × 1/3) / (5/6) = 0.4 ms.
        assert!((s.offset - Duration::from_micros(400)).abs() < Duration::from_nanos(10));
        assert_eq!(s.system_peer, 0);
        // RFC 5905's rule: each survivor's midpoint must lie in the
        // intersection; here the second one's (3 ms) does not.
        assert_eq!(select(&[c(0, 1), c(3, 3)], 1), Err(SelectError::NoMajority));
    }

    #[test]
    fn clustering_drops_the_outlier_of_many() {
        // Five overlapping intervals; one far from the others' centre.
        let cands = [c(0, 20), c(1, 20), c(0, 20), c(1, 20), c(15, 20)];
        let s = select(&cands, 1).unwrap();
        assert!(!s.survivors[4], "{s:?}");
        assert!(s.count >= 3);
    }

    #[test]
    fn a_trusted_source_alone_outvotes_the_others() {
        // Three agree at 0 ms; the fourth is 5 ms off.
        let cands = [c(0, 1), c(0, 1), c(0, 1), c(5, 1)];
        let s = select_trusted(&cands, &[false; 4], 1, 1).unwrap();
        assert_eq!(&s.survivors[..4], &[true, true, true, false]);
        // Trusted, the fourth stands and the three are the falsetickers.
        let s = select_trusted(&cands, &[false, false, false, true], 1, 1).unwrap();
        assert_eq!(&s.survivors[..4], &[false, false, false, true]);
        assert_eq!(s.system_peer, 3);
        assert!(s.low > Duration::from_millis(1));
        // Trusted and in the majority: the plain selection.
        let s = select_trusted(&cands, &[true, false, false, false], 1, 1).unwrap();
        assert_eq!(&s.survivors[..4], &[true, true, true, false]);
    }

    #[test]
    fn two_trusted_sources_that_disagree_have_no_majority() {
        let cands = [c(0, 1), c(0, 1), c(5, 1), c(9, 1)];
        assert_eq!(
            select_trusted(&cands, &[false, false, true, true], 1, 1),
            Err(SelectError::NoMajority)
        );
        // An untrusted one agreeing with a trusted one joins it.
        let cands = [c(0, 1), c(5, 1), c(5, 2)];
        let s = select_trusted(&cands, &[false, true, false], 1, 1).unwrap();
        assert_eq!(&s.survivors[..3], &[false, true, true]);
    }
}
