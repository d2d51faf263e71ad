//! Ordinary least squares with heteroskedasticity- and autocorrelation-consistent (HAC) standard
//! errors: Newey & West (1987), "A simple, positive semi-definite, heteroskedasticity and
//! autocorrelation consistent covariance matrix", Econometrica 55(3), Bartlett weights
//! `1 − l/(L+1)` and the lag rule `L = floor(4 (n/100)^(2/9))`. The solve is `nalgebra`'s
//! Cholesky factorisation of `X'X`.

use nalgebra::{DMatrix, DVector};

/// A least-squares fit.
#[derive(Clone, Debug)]
pub struct Ols {
    pub coef: Vec<f64>,
    /// Newey-West standard errors.
    pub se: Vec<f64>,
    pub residuals: Vec<f64>,
    pub n: usize,
    /// The Newey-West lag.
    pub lag: usize,
}

/// The Newey-West lag for `n` observations.
pub fn nw_lag(n: usize) -> usize {
    (4.0 * (n as f64 / 100.0).powf(2.0 / 9.0)).floor() as usize
}

/// Least squares of `y` on the columns `x` (each of `y.len()` rows). `None` when `X'X` is
/// singular (a column constant zero or collinear) or there are fewer rows than columns.
pub fn ols_hac(y: &[f64], x: &[Vec<f64>]) -> Option<Ols> {
    let n = y.len();
    let k = x.len();
    if n <= k || k == 0 {
        return None;
    }
    let xm = DMatrix::from_fn(n, k, |i, j| x[j][i]);
    let yv = DVector::from_column_slice(y);
    let xtx = xm.transpose() * &xm;
    // Scale columns so the factorisation sees comparable magnitudes.
    let scale = DVector::from_fn(k, |j, _| xtx[(j, j)].sqrt().max(1e-300));
    let d = DMatrix::from_diagonal(&scale.map(|s| 1.0 / s));
    let xtx_s = &d * &xtx * &d;
    let chol = xtx_s.clone().cholesky()?;
    // Condition check: a near-singular scaled X'X gives meaningless estimates.
    let eig = xtx_s.symmetric_eigenvalues();
    let (mn, mx) = eig
        .iter()
        .fold((f64::INFINITY, 0.0f64), |(a, b), &e| (a.min(e), b.max(e)));
    if mn <= mx * 1e-12 {
        return None;
    }
    let inv = &d * chol.inverse() * &d;
    let beta = &inv * (xm.transpose() * &yv);
    let resid = &yv - &xm * &beta;
    let lag = nw_lag(n).min(n - 1);
    let mut s = DMatrix::<f64>::zeros(k, k);
    for i in 0..n {
        let xi = xm.row(i).transpose();
        s += &xi * xi.transpose() * (resid[i] * resid[i]);
    }
    for l in 1..=lag {
        let w = 1.0 - l as f64 / (lag as f64 + 1.0);
        let mut g = DMatrix::<f64>::zeros(k, k);
        for i in l..n {
            let xi = xm.row(i).transpose();
            let xj = xm.row(i - l).transpose();
            g += &xi * xj.transpose() * (resid[i] * resid[i - l]);
        }
        s += (&g + g.transpose()) * w;
    }
    let v = &inv * s * &inv;
    Some(Ols {
        coef: beta.iter().copied().collect(),
        se: (0..k).map(|j| v[(j, j)].max(0.0).sqrt()).collect(),
        residuals: resid.iter().copied().collect(),
        n,
        lag,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_exact_line_is_recovered_with_zero_error() {
        let x0 = vec![1.0; 6];
        let x1: Vec<f64> = (0..6).map(|i| i as f64).collect();
        let y: Vec<f64> = x1.iter().map(|x| 2.0 + 0.5 * x).collect();
        let f = ols_hac(&y, &[x0, x1]).unwrap();
        assert!((f.coef[0] - 2.0).abs() < 1e-10 && (f.coef[1] - 0.5).abs() < 1e-10);
        assert!(f.se.iter().all(|s| *s < 1e-8));
    }

    #[test]
    fn without_autocorrelation_lag_zero_is_whites_estimator() {
        // Mean of y: the HAC variance at lag 0 is sum(e^2)/n^2.
        let y = [1.0, 3.0, 2.0, 6.0];
        assert_eq!(nw_lag(4), 1);
        let f = ols_hac(&y, &[vec![1.0; 4]]).unwrap();
        assert!((f.coef[0] - 3.0).abs() < 1e-12);
        // lag 1: S = sum e^2 + 2 * 0.5 * sum e_t e_{t-1}; e = -2, 0, -1, 3.
        let s = 4.0 + 0.0 + 1.0 + 9.0 + (0.0 + 0.0 - 3.0);
        assert!((f.se[0] - (s / 16.0f64).sqrt()).abs() < 1e-12, "{:?}", f.se);
    }

    #[test]
    fn a_constant_zero_column_is_refused() {
        let y = [1.0, 2.0, 3.0];
        assert!(ols_hac(&y, &[vec![1.0; 3], vec![0.0; 3]]).is_none());
    }
}
