//! The whole service's due-list, worked out once and shared by the screens that read it (the
//! due-list, the dashboard's loads, the caseload's "next due" column): at the size of a large
//! service it takes seconds, so no screen works it out on a key.
//!
//! Every write and Ctrl-R makes what is kept stale (a new generation). With a background
//! reader (a second connection, as `casebook` runs) a stale or missing list is asked of a
//! thread and the screens show what they have, marked as updating, until it arrives; without
//! one (tests, `App::new`) it is worked out on the spot, so a test sees what the write made.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};

use anyhow::Result;
use chrono::NaiveDate;

use super::caseload::PreparedRows;
use super::due::{next_due_by_person_in, NextDue};
use super::due_list::renewal_months;
use crate::domain::calendar::Calendar;
use crate::domain::codes::CodeLists;
use crate::due::{due_list, DueEntry, DueFilter};
use crate::store::Store;

/// The due-list every screen reads: the whole team's, with the check renewal clock.
pub fn team_due_list(
    store: &Store,
    cal: &Calendar,
    codes: &CodeLists,
    as_of: NaiveDate,
) -> Result<Vec<DueEntry>> {
    due_list(
        store,
        cal,
        codes,
        as_of,
        &DueFilter {
            check_renewal_months: renewal_months(),
            ..DueFilter::default()
        },
    )
}

/// What the background thread is asked.
pub enum Job {
    /// The whole caseload and today's due-list (once, at the start).
    Start { today: NaiveDate },
    /// The due-list as of a date, for a generation of the record.
    Dues { as_of: NaiveDate, generation: u64 },
}

/// What the background thread sends back.
pub enum Done {
    /// The whole caseload, prepared with everyone's next due item.
    Caseload(Result<PreparedRows>),
    Dues {
        as_of: NaiveDate,
        generation: u64,
        result: Result<Vec<DueEntry>>,
    },
}

/// The thread that reads on a second connection.
pub struct Background {
    jobs: mpsc::Sender<Job>,
    done: mpsc::Receiver<Done>,
    /// Jobs asked and not yet answered (the loop ticks quickly while there are any).
    busy: Arc<AtomicUsize>,
}

impl Background {
    /// Starts the thread on `reader`, first reading the caseload and today's due-list.
    pub fn start(
        reader: Store,
        calendar: Calendar,
        codes: CodeLists,
        today: NaiveDate,
    ) -> Result<Background> {
        let (jobs, job_rx) = mpsc::channel::<Job>();
        let (done_tx, done) = mpsc::channel();
        let busy = Arc::new(AtomicUsize::new(0));
        let bg = Background { jobs, done, busy };
        bg.ask(Job::Start { today });
        let busy = Arc::clone(&bg.busy);
        std::thread::Builder::new()
            .name("casebook-reader".into())
            .spawn(move || {
                while let Ok(first) = job_rx.recv() {
                    // Asked again before it began: only the latest list of each date is worth
                    // working out (a run of saves asks once per save).
                    let mut batch = vec![first];
                    batch.extend(job_rx.try_iter());
                    let n = batch.len();
                    for (i, job) in batch.iter().enumerate() {
                        let superseded = matches!(job, Job::Dues { as_of, .. }
                            if batch[i + 1..].iter().any(|later| matches!(later,
                                Job::Dues { as_of: d, .. } if d == as_of)));
                        if superseded {
                            continue;
                        }
                        for done in run(&reader, &calendar, &codes, job) {
                            // The app may have quit already; nothing is waiting then.
                            let _ = done_tx.send(done);
                        }
                    }
                    busy.fetch_sub(n, Ordering::AcqRel);
                }
            })?;
        Ok(bg)
    }

    fn ask(&self, job: Job) {
        self.busy.fetch_add(1, Ordering::AcqRel);
        if self.jobs.send(job).is_err() {
            self.busy.fetch_sub(1, Ordering::AcqRel);
        }
    }

    /// Shared with the loop, which ticks every 50 ms while it is not zero.
    pub fn busy(&self) -> Arc<AtomicUsize> {
        Arc::clone(&self.busy)
    }

    /// What has arrived since the last call.
    pub fn arrived(&self) -> Vec<Done> {
        self.done.try_iter().collect()
    }
}

fn run(reader: &Store, cal: &Calendar, codes: &CodeLists, job: &Job) -> Vec<Done> {
    match *job {
        Job::Start { today } => {
            let list = team_due_list(reader, cal, codes, today);
            let rows = crate::store::caseload::caseload(reader);
            let (caseload, dues) = match (rows, list) {
                (Ok(rows), Ok(list)) => {
                    let next = next_due_by_person_in(&list);
                    let prepared = super::caseload::CaseloadScreen::prepare(rows, &next, today);
                    (Ok(prepared), Ok(list))
                }
                (Err(e), list) => (Err(e), list),
                (Ok(_), Err(e)) => {
                    let again = anyhow::anyhow!("{e:#}");
                    (Err(e), Err(again))
                }
            };
            vec![
                Done::Dues {
                    as_of: today,
                    generation: 0,
                    result: dues,
                },
                Done::Caseload(caseload),
            ]
        }
        Job::Dues { as_of, generation } => vec![Done::Dues {
            as_of,
            generation,
            result: team_due_list(reader, cal, codes, as_of),
        }],
    }
}

/// What a screen gets when it asks for the list.
pub enum DueNow {
    /// Up to date with every write.
    Ready(Rc<Vec<DueEntry>>),
    /// Worked out before the last write; the new one is being worked out.
    Updating(Rc<Vec<DueEntry>>),
    /// Not worked out yet for that date; it is being worked out.
    Pending,
}

impl DueNow {
    /// The entries to show (none while pending) and whether they are still being worked out.
    pub fn entries(self) -> (Rc<Vec<DueEntry>>, bool) {
        match self {
            DueNow::Ready(l) => (l, false),
            DueNow::Updating(l) => (l, true),
            DueNow::Pending => (Rc::new(Vec::new()), true),
        }
    }
}

struct Kept {
    as_of: NaiveDate,
    generation: u64,
    entries: Rc<Vec<DueEntry>>,
}

#[derive(Default)]
struct Inner {
    generation: u64,
    /// Today's list and the last other date asked for, at most.
    kept: Vec<Kept>,
    /// Asked of the background and not yet arrived.
    asked: Vec<(NaiveDate, u64)>,
}

/// The shared due-list (see the module's comment).
#[derive(Default)]
pub struct Dues {
    inner: RefCell<Inner>,
    background: Option<Background>,
}

impl Dues {
    /// Worked out on the spot when asked.
    pub fn on_the_spot() -> Dues {
        Dues::default()
    }

    /// Worked out by `background`, which is already working out today's list.
    pub fn in_background(background: Background, today: NaiveDate) -> Dues {
        let inner = Inner {
            asked: vec![(today, 0)],
            ..Inner::default()
        };
        Dues {
            inner: RefCell::new(inner),
            background: Some(background),
        }
    }

    pub fn background(&self) -> Option<&Background> {
        self.background.as_ref()
    }

    /// The list as of `as_of`: kept, worked out now (no background), or asked for.
    pub fn get(
        &self,
        as_of: NaiveDate,
        store: &Store,
        cal: &Calendar,
        codes: &CodeLists,
    ) -> Result<DueNow> {
        let mut inner = self.inner.borrow_mut();
        let generation = inner.generation;
        let kept = inner.kept.iter().find(|k| k.as_of == as_of);
        if let Some(k) = kept.filter(|k| k.generation == generation) {
            return Ok(DueNow::Ready(Rc::clone(&k.entries)));
        }
        let stale = kept.map(|k| Rc::clone(&k.entries));
        let Some(bg) = &self.background else {
            let entries = Rc::new(team_due_list(store, cal, codes, as_of)?);
            inner.keep(as_of, generation, Rc::clone(&entries));
            return Ok(DueNow::Ready(entries));
        };
        if !inner.asked.contains(&(as_of, generation)) {
            inner.asked.push((as_of, generation));
            bg.ask(Job::Dues { as_of, generation });
        }
        Ok(stale.map_or(DueNow::Pending, DueNow::Updating))
    }

    /// The list as of `as_of` if one is kept, stale or not (never works one out).
    pub fn kept(&self, as_of: NaiveDate) -> Option<Rc<Vec<DueEntry>>> {
        let inner = self.inner.borrow();
        let k = inner.kept.iter().find(|k| k.as_of == as_of)?;
        Some(Rc::clone(&k.entries))
    }

    /// Every young person's next due item as of `today`, when an up-to-date list is kept.
    pub fn next_due_by_person(
        &self,
        today: NaiveDate,
    ) -> Option<std::collections::HashMap<String, NextDue>> {
        let inner = self.inner.borrow();
        let k = inner
            .kept
            .iter()
            .find(|k| k.as_of == today && k.generation == inner.generation)?;
        Some(next_due_by_person_in(&k.entries))
    }

    /// The record changed (a write, Ctrl-R, a sync): what is kept is stale. With a background
    /// reader today's list is asked for at once, so it is ready by the time it is opened.
    pub fn invalidate(&self, today: NaiveDate) {
        let mut inner = self.inner.borrow_mut();
        inner.generation += 1;
        let generation = inner.generation;
        if let Some(bg) = &self.background {
            inner.asked.push((today, generation));
            bg.ask(Job::Dues {
                as_of: today,
                generation,
            });
        }
    }

    /// A list the background worked out: kept unless a newer one is. Returns whether it is
    /// the up-to-date list (the screens showing that date should read it).
    pub fn arrived(&self, as_of: NaiveDate, generation: u64, entries: Vec<DueEntry>) -> bool {
        let mut inner = self.inner.borrow_mut();
        inner.asked.retain(|a| *a != (as_of, generation));
        let newer = inner
            .kept
            .iter()
            .any(|k| k.as_of == as_of && k.generation > generation);
        if newer {
            return false;
        }
        inner.keep(as_of, generation, Rc::new(entries));
        generation == inner.generation
    }

    /// A list that could not be worked out: no longer waited for.
    pub fn failed(&self, as_of: NaiveDate, generation: u64) {
        self.inner
            .borrow_mut()
            .asked
            .retain(|a| *a != (as_of, generation));
    }

    /// Whether a list for `as_of` is being worked out.
    pub fn is_updating(&self, as_of: NaiveDate) -> bool {
        self.inner.borrow().asked.iter().any(|(d, _)| *d == as_of)
    }
}

impl Inner {
    fn keep(&mut self, as_of: NaiveDate, generation: u64, entries: Rc<Vec<DueEntry>>) {
        self.kept.retain(|k| k.as_of != as_of);
        // Two dates at most: today's and the one the worker moved the list to.
        if self.kept.len() >= 2 {
            self.kept.remove(0);
        }
        self.kept.push(Kept {
            as_of,
            generation,
            entries,
        });
    }
}
