//! The client's cookie stash (RFC 8915 §5.7): the cookies not spent yet,
//! oldest first, in fixed storage (no allocation).

use crate::nts::{MAX_COOKIE_LEN, MAX_COOKIES};

/// One cookie, up to [`MAX_COOKIE_LEN`] octets.
#[derive(Clone)]
struct Cookie {
    bytes: [u8; MAX_COOKIE_LEN],
    len: usize,
}

const EMPTY: Cookie = Cookie {
    bytes: [0; MAX_COOKIE_LEN],
    len: 0,
};

/// Up to [`MAX_COOKIES`] cookies, spent oldest first: a ring buffer.
#[derive(Clone)]
pub struct CookieStash {
    slots: [Cookie; MAX_COOKIES],
    /// The slot of the oldest cookie.
    head: usize,
    /// Cookies held.
    len: usize,
}

impl core::fmt::Debug for CookieStash {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "CookieStash({} cookies)", self.len)
    }
}

impl Default for CookieStash {
    fn default() -> Self {
        Self::new()
    }
}

impl CookieStash {
    /// An empty stash.
    pub const fn new() -> Self {
        CookieStash {
            slots: [EMPTY; MAX_COOKIES],
            head: 0,
            len: 0,
        }
    }

    /// Cookies held.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no cookie is held.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Drops every cookie.
    pub fn clear(&mut self) {
        self.head = 0;
        self.len = 0;
    }

    /// Adds `cookie` as the newest; `false` (and nothing added) when the
    /// stash is full or the cookie is longer than [`MAX_COOKIE_LEN`].
    pub fn push(&mut self, cookie: &[u8]) -> bool {
        if self.len >= MAX_COOKIES {
            return false;
        }
        let Some(slot) = self.slots.get_mut((self.head + self.len) % MAX_COOKIES) else {
            return false;
        };
        let Some(bytes) = slot.bytes.get_mut(..cookie.len()) else {
            return false;
        };
        bytes.copy_from_slice(cookie);
        slot.len = cookie.len();
        self.len += 1;
        true
    }

    /// The oldest cookie, the next to spend.
    pub fn front(&self) -> Option<&[u8]> {
        if self.len == 0 {
            return None;
        }
        let slot = self.slots.get(self.head)?;
        slot.bytes.get(..slot.len)
    }

    /// Drops the oldest cookie (it was spent).
    pub fn pop_front(&mut self) {
        if self.len > 0 {
            self.head = (self.head + 1) % MAX_COOKIES;
            self.len -= 1;
        }
    }
}
