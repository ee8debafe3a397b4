//! Where screens are registered: what each [`Route`] opens, and which keys open a screen from
//! anywhere they are bound. A new screen is its own file (a [`Component`]) plus a line here.

use super::case_view::{CaseModel, CaseView};
use super::component::{Component, Env};
use super::conflicts::ConflictsScreen;
use super::due_list::Board;
use super::duplicates::DuplicatesScreen;
use super::export::ExportScreen;
use super::flags::{self, FlagPurpose};
use super::form_screen::FormScreen;
use super::help::Help;
use super::intake;
use super::keymap::{Action, Context};
use super::mentoring;
use super::msg::{BoardKind, IntakeOpen, MentoringFocus, Msg, Route, StatusKind};
use super::palette::Palette;

/// Builds the screen `route` names. `case` is the case open below, if any (the intake forms
/// work on its episode); `under` the contexts in force (help lists their keys). A refusal is
/// the message to show instead.
pub fn open(
    route: Route,
    env: &mut Env,
    case: Option<&CaseModel>,
    under: &[Context],
) -> Result<Box<dyn Component>, Msg> {
    let error = |kind, text: String| Msg::Status(kind, text);
    Ok(match route {
        Route::Case(id) => match CaseModel::load_for(env, &id) {
            Ok(Some(model)) => {
                // Who opened whose record is audited; a case that cannot be recorded stays shut.
                if let Err(e) = env
                    .store
                    .record_view(env.worker_id(), env.now, "case view", &[&id])
                {
                    return Err(error(
                        StatusKind::Error,
                        format!("Cannot record that you opened the case, so it stays closed: {e}"),
                    ));
                }
                Box::new(CaseView::new(model, env.today))
            }
            Ok(None) => {
                return Err(error(
                    StatusKind::Error,
                    "That young person is no longer on file; press Ctrl-R to reload".into(),
                ))
            }
            Err(e) => {
                return Err(error(
                    StatusKind::Error,
                    format!("Cannot open the case: {e}"),
                ))
            }
        },
        Route::Board(kind) => match Board::load(kind, &env.board()) {
            Ok(b) => Box::new(b),
            Err(e) => {
                return Err(error(
                    StatusKind::Error,
                    format!("Could not load the list: {e}"),
                ))
            }
        },
        Route::Intake(what) => {
            intake::open_screen(what, env, case).map_err(|t| error(StatusKind::Warning, t))?
        }
        Route::FlagForm(action) => {
            match flags::new_form(&action, env.store, env.codes, env.today) {
                Ok(form) => Box::new(FormScreen::open(form, Box::new(FlagPurpose(action)), env)),
                Err(e) => return Err(error(StatusKind::Error, e.to_string())),
            }
        }
        Route::Export => Box::new(ExportScreen::new(env.today)),
        Route::Help => Box::new(Help::new(under.to_vec())),
        Route::Palette => Box::new(Palette::new(env.keymap, case.is_some())),
        Route::Mentoring(focus) => {
            mentoring::open_board(env, focus).map_err(|t| error(StatusKind::Warning, t))?
        }
        Route::Conflicts => match ConflictsScreen::load(env) {
            Ok(c) => Box::new(c),
            Err(e) => {
                return Err(error(
                    StatusKind::Error,
                    format!("Cannot read the conflicts: {e}"),
                ))
            }
        },
        Route::Duplicates => match DuplicatesScreen::load(env) {
            Ok(c) => Box::new(c),
            Err(e) => {
                return Err(error(
                    StatusKind::Error,
                    format!("Cannot read the possible duplicates: {e}"),
                ))
            }
        },
    })
}

/// The keys that work on every screen where they are bound (no screen took them).
pub fn global(action: Action) -> Option<Msg> {
    let open = |r| Some(Msg::Open(r));
    match action {
        Action::Help => open(Route::Help),
        Action::Palette => open(Route::Palette),
        Action::Quit => Some(Msg::Quit),
        Action::NewReferral => open(Route::Intake(IntakeOpen::ReferralSearch)),
        Action::OutreachTally => open(Route::Intake(IntakeOpen::Outreach)),
        Action::Triage => open(Route::Intake(IntakeOpen::Triage)),
        Action::Allocate => open(Route::Intake(IntakeOpen::Allocation)),
        Action::RecordExit => open(Route::Intake(IntakeOpen::Exit)),
        Action::DueList => open(Route::Board(BoardKind::Due)),
        Action::Flags => open(Route::Board(BoardKind::Flags)),
        Action::Dashboard => open(Route::Board(BoardKind::Dashboard)),
        Action::ExportReturn => open(Route::Export),
        Action::Conflicts => open(Route::Conflicts),
        Action::Duplicates => open(Route::Duplicates),
        Action::MentoringBoard => open(Route::Mentoring(MentoringFocus::Board)),
        Action::SyncNow => Some(Msg::SyncNow),
        _ => None,
    }
}
