//! The pure heart of casebook: the record's types, the rules of the two specifications, the
//! clocks and the calendar. No SQL, no terminal, no file system.

pub mod assessment;
pub mod calendar;
pub mod care_plan;
pub mod clock;
pub mod clocks;
pub mod codes;
pub mod dates;
pub mod follow_up;
pub mod ids;
pub mod intake;
pub mod mentoring;
pub mod record;
pub mod roles;
pub mod sync;
pub mod urgency;
pub mod validate;
