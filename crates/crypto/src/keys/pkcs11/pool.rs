//! The session pool of a [`TokenKek`]: a PKCS#11 session serves one operation at a time.

use std::sync::MutexGuard;

use cryptoki::context::{Function, Pkcs11};
use cryptoki::error::{Error as P11Error, RvError};
use cryptoki::session::{Session, UserType};
use cryptoki::slot::Slot;
use secrecy::SecretString;

use super::{rv, TokenKek, SESSION_WAIT};
use crate::CryptoError;

/// Sessions not in use, and how many are open (in use or not).
pub(super) struct Pool {
    pub(super) idle: Vec<Session>,
    pub(super) open: usize,
}

impl TokenKek {
    /// Runs `op` on a free session (opening one when none is idle and the pool has room,
    /// waiting otherwise). A session whose operation failed for a reason other than a bad
    /// ciphertext is closed rather than reused.
    pub(super) fn with_session<T>(
        &self,
        op: impl FnOnce(&Session) -> Result<T, P11Error>,
    ) -> Result<T, CryptoError> {
        let session = self.take()?;
        match op(&session) {
            Ok(v) => {
                self.give_back(Some(session));
                Ok(v)
            }
            Err(P11Error::Pkcs11(
                RvError::EncryptedDataInvalid | RvError::EncryptedDataLenRange,
                _,
            )) => {
                self.give_back(Some(session));
                Err(CryptoError::Decrypt)
            }
            // SoftHSM2 answers a wrong GCM tag with CKR_GENERAL_ERROR, others with
            // CKR_FUNCTION_FAILED: a failed decryption all the same (the session is not kept,
            // in case it was the device after all).
            Err(P11Error::Pkcs11(
                RvError::GeneralError | RvError::FunctionFailed,
                Function::Decrypt,
            )) => {
                drop(session);
                self.give_back(None);
                Err(CryptoError::Decrypt)
            }
            Err(e) => {
                drop(session);
                self.give_back(None);
                Err(CryptoError::Token(rv(&e)))
            }
        }
    }

    fn lock(&self) -> MutexGuard<'_, Pool> {
        self.pool
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(super) fn take(&self) -> Result<Session, CryptoError> {
        let mut pool = self.lock();
        loop {
            if let Some(s) = pool.idle.pop() {
                return Ok(s);
            }
            if pool.open < self.size {
                pool.open += 1;
                drop(pool);
                return open_session(&self.ctx, self.slot, &self.pin, false).map_err(|e| {
                    self.give_back(None);
                    CryptoError::Token(format!("cannot open a session: {}", rv(&e)))
                });
            }
            let (guard, timeout) = self
                .freed
                .wait_timeout(pool, SESSION_WAIT)
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            pool = guard;
            if timeout.timed_out() && pool.idle.is_empty() && pool.open >= self.size {
                return Err(CryptoError::Token(format!(
                    "all {} sessions stayed busy for {} s",
                    self.size,
                    SESSION_WAIT.as_secs()
                )));
            }
        }
    }

    /// Returns a session to the pool, or (`None`) frees the place of one that was closed.
    pub(super) fn give_back(&self, session: Option<Session>) {
        let mut pool = self.lock();
        match session {
            Some(s) => pool.idle.push(s),
            None => pool.open = pool.open.saturating_sub(1),
        }
        drop(pool);
        self.freed.notify_one();
    }

    /// Sessions open now (idle or busy), for tests and metrics.
    pub fn sessions_open(&self) -> usize {
        self.lock().open
    }
}

/// A session (read-only unless `rw`: creating a key needs a read-write one), logged in as the
/// user (already being logged in, through another session of this process, is fine: PKCS#11
/// logs in per application).
pub(super) fn open_session(
    ctx: &Pkcs11,
    slot: Slot,
    pin: &SecretString,
    rw: bool,
) -> Result<Session, P11Error> {
    let session = if rw {
        ctx.open_rw_session(slot)?
    } else {
        ctx.open_ro_session(slot)?
    };
    match session.login(UserType::User, Some(pin)) {
        Ok(()) | Err(P11Error::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => Ok(session),
        Err(e) => Err(e),
    }
}
