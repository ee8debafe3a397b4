//! What each role may do: the one table. The store consults it on every write and on the
//! protected reads, so the command line and the terminal UI obey the same rules.

use super::record::Role;

/// Something a worker does that not every role may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    /// Any change to casework: referrals, triage, contacts, assessments, plans, risk flags.
    RecordCasework,
    /// Approve a care plan's costed spend (S §8.8.3).
    ApproveSpend,
    /// Sign off an episode's closure (record its exit).
    CloseEpisode,
    /// Write a quarterly return.
    ExportReturn,
    /// List the young people behind a figure (a drill-down with names).
    ExplainFigure,
    /// Import a spreadsheet register.
    ImportRegister,
    /// Fill the database with synthetic casework.
    LoadDemo,
    /// See who viewed and changed a record.
    ReadAudit,
    /// Add workers, change their roles, deactivate them.
    ManageWorkers,
    /// Set a new password for another worker.
    ResetPassword,
    /// Show the raw data key (recovery when every password is lost).
    ShowRecoveryKey,
    /// Choose between two values that two devices wrote to the same field (sync).
    ChooseConflict,
    /// Decide whether two young people registered on two devices are one (merge) or not.
    DecideDuplicate,
    /// Run the mentoring project: the coordinator's board of mentors, checks and matches.
    CoordinateMentoring,
}

use Permission::*;
use Role::*;

const CASEWORK: &[Role] = &[Outreach, Duty, KeyWorker, Manager, Coordinator];

/// The table: each action and the roles that may do it.
pub const PERMISSIONS: &[(Permission, &[Role])] = &[
    (RecordCasework, CASEWORK),
    (ApproveSpend, &[Manager]),
    (CloseEpisode, &[Manager]),
    (ExportReturn, &[Manager]),
    (ExplainFigure, &[Manager]),
    (ImportRegister, &[Manager]),
    (LoadDemo, &[Administrator]),
    (ReadAudit, &[Manager, Administrator]),
    (ManageWorkers, &[Administrator]),
    (ResetPassword, &[Administrator]),
    (ShowRecoveryKey, &[Administrator]),
    (ChooseConflict, &[KeyWorker, Manager]),
    (DecideDuplicate, &[KeyWorker, Manager]),
    (CoordinateMentoring, &[Coordinator, Manager]),
];

impl Permission {
    /// What the action is, for a refusal ("approve spend").
    pub fn label(self) -> &'static str {
        match self {
            RecordCasework => "record casework",
            ApproveSpend => "approve spend",
            CloseEpisode => "sign off an episode's closure",
            ExportReturn => "write a quarterly return",
            ExplainFigure => "list the young people behind a figure",
            ImportRegister => "import a register",
            LoadDemo => "load demo casework",
            ReadAudit => "read the audit log",
            ManageWorkers => "add, change or deactivate workers",
            ResetPassword => "reset another worker's password",
            ShowRecoveryKey => "show the recovery key",
            ChooseConflict => "choose between two devices' values",
            DecideDuplicate => "merge or keep apart two young people registered twice",
            CoordinateMentoring => "open the mentoring coordinator's board",
        }
    }

    /// Every action, in the table's order.
    pub const ALL: [Permission; 14] = [
        RecordCasework,
        ApproveSpend,
        CloseEpisode,
        ExportReturn,
        ExplainFigure,
        ImportRegister,
        LoadDemo,
        ReadAudit,
        ManageWorkers,
        ResetPassword,
        ShowRecoveryKey,
        ChooseConflict,
        DecideDuplicate,
        CoordinateMentoring,
    ];

    /// A stable code for the action, carried with each synced change so the receiving device
    /// checks the actor's role for it.
    pub fn code(self) -> &'static str {
        match self {
            RecordCasework => "record_casework",
            ApproveSpend => "approve_spend",
            CloseEpisode => "close_episode",
            ExportReturn => "export_return",
            ExplainFigure => "explain_figure",
            ImportRegister => "import_register",
            LoadDemo => "load_demo",
            ReadAudit => "read_audit",
            ManageWorkers => "manage_workers",
            ResetPassword => "reset_password",
            ShowRecoveryKey => "show_recovery_key",
            ChooseConflict => "choose_conflict",
            DecideDuplicate => "decide_duplicate",
            CoordinateMentoring => "coordinate_mentoring",
        }
    }

    /// The action with this code.
    pub fn from_code(code: &str) -> Option<Permission> {
        Permission::ALL.into_iter().find(|p| p.code() == code)
    }

    /// The roles that may do it.
    pub fn roles(self) -> &'static [Role] {
        PERMISSIONS
            .iter()
            .find(|(a, _)| *a == self)
            .map(|(_, r)| *r)
            .unwrap_or(&[])
    }
}

/// Whether a worker holding `roles` may do `action`.
pub fn may(roles: &[Role], action: Permission) -> bool {
    action.roles().iter().any(|r| roles.contains(r))
}

/// `Ok` when allowed, else the refusal to show: who may, and what the worker holds.
pub fn require(name: &str, roles: &[Role], action: Permission) -> Result<(), String> {
    if may(roles, action) {
        return Ok(());
    }
    let who: Vec<&str> = action.roles().iter().map(|r| r.label()).collect();
    let article = if who[0].starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    let held: Vec<&str> = roles.iter().map(|r| r.label()).collect();
    Err(format!(
        "only {article} {} may {}; {name} is signed in as {}",
        who.join(" or "),
        action.label(),
        if held.is_empty() {
            "no role".to_string()
        } else {
            held.join(", ")
        }
    ))
}

/// A terminal left alone this long locks itself: a shared office screen or a laptop in a youth
/// centre shows nothing of anyone's record until the worker's password is typed again.
pub const IDLE_LOCK_MINUTES: i64 = 15;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_has_a_row_in_the_table() {
        let all = [
            RecordCasework,
            ApproveSpend,
            CloseEpisode,
            ExportReturn,
            ExplainFigure,
            ImportRegister,
            LoadDemo,
            ReadAudit,
            ManageWorkers,
            ResetPassword,
            ShowRecoveryKey,
            ChooseConflict,
            DecideDuplicate,
            CoordinateMentoring,
        ];
        for a in all {
            assert_eq!(Permission::from_code(a.code()), Some(a));
            assert!(!a.roles().is_empty(), "{a:?} has no row");
        }
        assert_eq!(PERMISSIONS.len(), all.len());
    }

    #[test]
    fn only_managers_approve_spend_and_only_administrators_manage_workers() {
        assert!(may(&[KeyWorker, Manager], ApproveSpend));
        assert!(!may(&[KeyWorker, Duty, Administrator], ApproveSpend));
        assert!(may(&[Administrator], ManageWorkers));
        assert!(!may(&[Manager], ManageWorkers));
        assert!(!may(&[Administrator], RecordCasework));
        // The mentoring coordinator's board: the coordinator and managers only.
        assert!(may(&[Coordinator], CoordinateMentoring));
        assert!(may(&[Manager], CoordinateMentoring));
        assert!(!may(
            &[KeyWorker, Duty, Outreach, Administrator],
            CoordinateMentoring
        ));
        let refusal = require("Sam", &[KeyWorker], ExportReturn).unwrap_err();
        assert_eq!(
            refusal,
            "only a manager may write a quarterly return; Sam is signed in as key worker"
        );
    }
}
