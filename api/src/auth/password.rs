//! Password hashing: argon2id with the argon2 crate's defaults (19 MiB,
//! 2 passes, 1 lane: OWASP's recommendation), stored as a PHC string.

use crate::ErrorCode;
use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

use crate::ApiError;

/// Shortest and longest passwords accepted.
pub const MIN_PASSWORD_CHARS: usize = 8;
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// Refuses passwords too short to resist guessing or too long to hash cheaply.
pub fn check_policy(password: &str) -> Result<(), ApiError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(ApiError::Unprocessable {
            code: ErrorCode::WeakPassword,
            message: format!("a password needs at least {MIN_PASSWORD_CHARS} characters"),
        });
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(ApiError::Unprocessable {
            code: ErrorCode::InvalidPassword,
            message: format!("a password may have at most {MAX_PASSWORD_BYTES} bytes"),
        });
    }
    Ok(())
}

/// A fresh random password to hand out once (the first administrator's):
/// 20 letters and digits without look-alikes (about 100 bits), in groups of
/// five to read and type.
pub fn generate() -> String {
    use argon2::password_hash::rand_core::RngCore;
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut out = String::new();
    for i in 0..20 {
        if i > 0 && i % 5 == 0 {
            out.push('-');
        }
        // Rejection sampling keeps every character equally likely.
        let limit = 256 - 256 % ALPHABET.len() as u32;
        let c = loop {
            let byte = OsRng.next_u32() & 0xFF;
            if byte < limit {
                break ALPHABET[(byte % ALPHABET.len() as u32) as usize];
            }
        };
        out.push(c as char);
    }
    out
}

/// The argon2id PHC string of `password` with a fresh random salt.
pub fn hash(password: &str) -> Result<String, ApiError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| ApiError::internal(format!("argon2: {e}")))
}

/// True when `password` matches the stored PHC string. A malformed stored
/// hash never matches.
pub fn verify(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// Spends the time of one verification, so that an unknown account name
/// answers no faster than a wrong password (no user enumeration by timing).
pub fn verify_dummy(password: &str) {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let dummy = DUMMY.get_or_init(|| hash("not-a-real-password").unwrap_or_default());
    let _ = verify(password, dummy);
}

/// A new password, checked against the policy and hashed, off the async
/// threads (argon2 is CPU work by design).
pub async fn hash_new(password: &str) -> Result<String, ApiError> {
    check_policy(password)?;
    let password = password.to_string();
    blocking(move || hash(&password)).await?
}

/// Whether `attempt` matches the stored hash, off the async threads. With no
/// stored hash (no such account, or no password set) it never matches, and
/// takes as long as a real check.
pub async fn matches(attempt: &str, stored: Option<String>) -> Result<bool, ApiError> {
    let attempt = attempt.to_string();
    blocking(move || match stored {
        Some(stored) => verify(&attempt, &stored),
        None => {
            verify_dummy(&attempt);
            false
        }
    })
    .await
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ApiError> {
    actix_web::web::block(work)
        .await
        .map_err(|e| ApiError::internal(format!("password worker: {e}")))
}

/// Passwords recently verified, by a digest of (what they unlock, password),
/// so a client that sends a share link's password with every request (as
/// `X-Share-Password` allows) costs one argon2 check and one rate-limit
/// attempt, not one per thumbnail. Bounded: forgotten wholesale when full.
#[derive(Default)]
pub struct RecentlyVerified {
    digests: std::sync::Mutex<std::collections::HashSet<[u8; 32]>>,
}

const RECENTLY_VERIFIED_MAX: usize = 10_000;

impl RecentlyVerified {
    fn digest(scope: &str, password: &str) -> [u8; 32] {
        let mut hasher = blake3::Hasher::new();
        hasher
            .update(scope.as_bytes())
            .update(&[0])
            .update(password.as_bytes());
        *hasher.finalize().as_bytes()
    }

    /// True when `password` was verified for `scope` (which must change when
    /// the stored hash does) before.
    pub fn contains(&self, scope: &str, password: &str) -> bool {
        let digest = Self::digest(scope, password);
        self.digests.lock().is_ok_and(|d| d.contains(&digest))
    }

    pub fn insert(&self, scope: &str, password: &str) {
        let digest = Self::digest(scope, password);
        if let Ok(mut digests) = self.digests.lock() {
            if digests.len() >= RECENTLY_VERIFIED_MAX {
                digests.clear();
            }
            digests.insert(digest);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_passwords_pass_the_policy_and_differ() {
        let a = generate();
        let b = generate();
        assert_eq!(a.len(), 23, "{a}");
        assert!(check_policy(&a).is_ok());
        assert_ne!(a, b);
        assert!(
            a.chars()
                .all(|c| c == '-' || c.is_ascii_lowercase() || c.is_ascii_digit())
        );
    }

    #[test]
    fn hashes_verify_and_are_salted() {
        let a = hash("correct horse battery").unwrap();
        let b = hash("correct horse battery").unwrap();
        assert!(a.starts_with("$argon2id$"));
        assert_ne!(a, b, "each hash has its own salt");
        assert!(verify("correct horse battery", &a));
        assert!(!verify("correct horse battery!", &a));
        assert!(!verify("anything", "not a phc string"));
    }

    #[test]
    fn policy_names_the_problem() {
        assert!(check_policy("short").is_err());
        assert!(check_policy("long enough").is_ok());
        assert!(check_policy(&"x".repeat(2000)).is_err());
    }
}
