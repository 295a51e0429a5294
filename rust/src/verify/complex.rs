//! A minimal complex float for the approximate branch of evaluation (roots of negatives,
//! logs of negatives and `i` stay well-defined).

use std::ops::{Add, Div, Mul, Neg, Sub};

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct C64 {
    pub re: f64,
    pub im: f64,
}

impl C64 {
    pub fn new(re: f64, im: f64) -> C64 {
        C64 { re, im }
    }
    pub fn real(re: f64) -> C64 {
        C64 { re, im: 0.0 }
    }
    pub fn norm(self) -> f64 {
        self.re.hypot(self.im)
    }
    pub fn exp(self) -> C64 {
        let m = self.re.exp();
        C64::new(m * self.im.cos(), m * self.im.sin())
    }
    pub fn ln(self) -> C64 {
        C64::new(self.norm().ln(), self.im.atan2(self.re))
    }
    pub fn powc(self, w: C64) -> C64 {
        if self.im == 0.0 && w.im == 0.0 && self.re > 0.0 {
            return C64::real(self.re.powf(w.re));
        }
        if self.norm() == 0.0 {
            return C64::real(0.0);
        }
        (self.ln() * w).exp()
    }
    pub fn sin(self) -> C64 {
        C64::new(
            self.re.sin() * self.im.cosh(),
            self.re.cos() * self.im.sinh(),
        )
    }
    pub fn cos(self) -> C64 {
        C64::new(
            self.re.cos() * self.im.cosh(),
            -self.re.sin() * self.im.sinh(),
        )
    }
}

impl Add for C64 {
    type Output = C64;
    fn add(self, o: C64) -> C64 {
        C64::new(self.re + o.re, self.im + o.im)
    }
}
impl Sub for C64 {
    type Output = C64;
    fn sub(self, o: C64) -> C64 {
        C64::new(self.re - o.re, self.im - o.im)
    }
}
impl Mul for C64 {
    type Output = C64;
    fn mul(self, o: C64) -> C64 {
        C64::new(
            self.re * o.re - self.im * o.im,
            self.re * o.im + self.im * o.re,
        )
    }
}
impl Div for C64 {
    type Output = C64;
    fn div(self, o: C64) -> C64 {
        let d = o.re * o.re + o.im * o.im;
        C64::new(
            (self.re * o.re + self.im * o.im) / d,
            (self.im * o.re - self.re * o.im) / d,
        )
    }
}
impl Neg for C64 {
    type Output = C64;
    fn neg(self) -> C64 {
        C64::new(-self.re, -self.im)
    }
}
