//! Where pages of users sorted by id start: for each listing (filter, state, direction), the
//! offsets already served mapped to the id found there.
//!
//! `LIMIT ? OFFSET ?` makes every database step over all the rows before the page: at 100,000
//! users a random page cost 10× the first, and a client walking every page (the idle culler)
//! does quadratic work. With a bookmark at or before the offset asked for, the page query
//! starts at that id (`users.id >= ?`, an index seek) and skips only the rows after it.
//!
//! A bookmark is only true while no row was added, removed or renamed and no server changed
//! state, so all of them are dropped when [`crate::Db::write_generation`] moves (activity does
//! not move it, and does not change an id-sorted listing).

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use crate::model::{UserQuery, UserSort, UserState};

/// Bookmarks kept at most, over all listings; past it they start again from none.
const MAX_BOOKMARKS: usize = 20_000;

/// Which listing a bookmark belongs to: everything in a [`UserQuery`] but the page.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Listing {
    descending: bool,
    name_filter: Option<String>,
    state: Option<UserState>,
}

impl Listing {
    /// The listing of `query`, if it is sorted by id (other keys change without a write).
    pub(crate) fn of(query: &UserQuery) -> Option<Self> {
        (query.sort == UserSort::Id).then(|| Self {
            descending: query.descending,
            name_filter: query.name_filter.clone(),
            state: query.state,
        })
    }
}

#[derive(Debug, Default)]
pub(crate) struct Bookmarks(Mutex<Marks>);

#[derive(Debug, Default)]
struct Marks {
    generation: u64,
    count: usize,
    by_listing: HashMap<Listing, BTreeMap<u64, i64>>,
}

impl Bookmarks {
    /// The bookmark at or before `offset` that is nearest to it, as `(offset, id)`, if the
    /// bookmarks are of `generation`.
    pub(crate) fn nearest(
        &self,
        generation: u64,
        listing: &Listing,
        offset: u64,
    ) -> Option<(u64, i64)> {
        let marks = self.0.lock().ok()?;
        if marks.generation != generation {
            return None;
        }
        let (at, id) = marks
            .by_listing
            .get(listing)?
            .range(..=offset)
            .next_back()?;
        Some((*at, *id))
    }

    /// Records that `listing` had these ids at these offsets, as read at `generation` (read
    /// before the query).
    pub(crate) fn record(
        &self,
        generation: u64,
        listing: Listing,
        found: impl IntoIterator<Item = (u64, i64)>,
    ) {
        let Ok(mut marks) = self.0.lock() else {
            return;
        };
        if marks.generation != generation {
            if generation < marks.generation {
                return;
            }
            *marks = Marks {
                generation,
                ..Marks::default()
            };
        }
        if marks.count >= MAX_BOOKMARKS {
            marks.by_listing.clear();
            marks.count = 0;
        }
        let Marks {
            count, by_listing, ..
        } = &mut *marks;
        let offsets = by_listing.entry(listing).or_default();
        for (at, id) in found {
            if offsets.insert(at, id).is_none() {
                *count += 1;
            }
        }
    }
}
