//! What the terminal's status line says about sync (the store gives the figures).

use chrono::{DateTime, Utc};

/// The figures the status line shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyncFigures {
    pub in_team: bool,
    pub last_sync_at: Option<DateTime<Utc>>,
    pub waiting_changes: i64,
    pub open_conflicts: i64,
    /// Young people registered twice, waiting for a person to merge or keep apart.
    pub possible_duplicates: i64,
}

/// "synced 2h ago · 3 changes waiting · 1 conflict to choose", short enough for one line.
pub fn status_line(f: &SyncFigures, now: DateTime<Utc>) -> String {
    if !f.in_team {
        return "not shared with a team".to_string();
    }
    let when = match f.last_sync_at {
        None => "never synced".to_string(),
        Some(t) => {
            let mins = (now - t).num_minutes().max(0);
            match mins {
                0 => "synced just now".to_string(),
                1..=59 => format!("synced {mins} min ago"),
                60..=2879 => format!("synced {}h ago", mins / 60),
                _ => format!("synced {} days ago", mins / 1440),
            }
        }
    };
    let mut parts = vec![when];
    if f.waiting_changes > 0 {
        parts.push(format!(
            "{} change{} waiting",
            f.waiting_changes,
            if f.waiting_changes == 1 { "" } else { "s" }
        ));
    }
    if f.open_conflicts > 0 {
        parts.push(format!(
            "{} conflict{} to choose",
            f.open_conflicts,
            if f.open_conflicts == 1 { "" } else { "s" }
        ));
    }
    if f.possible_duplicates > 0 {
        parts.push(format!(
            "{} possible duplicate{}",
            f.possible_duplicates,
            if f.possible_duplicates == 1 { "" } else { "s" }
        ));
    }
    parts.join(" · ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    #[test]
    fn the_status_line_says_when_this_device_last_synced_and_what_waits() {
        let now = Utc.with_ymd_and_hms(2025, 6, 2, 12, 0, 0).unwrap();
        let mut f = SyncFigures {
            in_team: true,
            last_sync_at: Some(now - Duration::minutes(150)),
            waiting_changes: 3,
            open_conflicts: 1,
            possible_duplicates: 0,
        };
        assert_eq!(
            status_line(&f, now),
            "synced 2h ago · 3 changes waiting · 1 conflict to choose"
        );
        f.possible_duplicates = 2;
        assert_eq!(
            status_line(&f, now),
            "synced 2h ago · 3 changes waiting · 1 conflict to choose · 2 possible duplicates"
        );
        f.possible_duplicates = 0;
        f.waiting_changes = 0;
        f.open_conflicts = 0;
        f.last_sync_at = Some(now - Duration::days(4));
        assert_eq!(status_line(&f, now), "synced 4 days ago");
        f.last_sync_at = None;
        assert_eq!(status_line(&f, now), "never synced");
        f.in_team = false;
        assert_eq!(status_line(&f, now), "not shared with a team");
    }
}
