//! The role table holds in the terminal UI as on the command line: an outreach worker signed
//! in may record casework but not approve a care plan's spend, and is told who may.

mod tui_support;

use casebook::domain::care_plan::{BudgetItem, PlanHeader};
use casebook::domain::codes::CodeLists;
use casebook::store::{care_plans, records, Store};
use tui_support::*;

#[test]
fn an_outreach_worker_is_refused_approving_spend_and_told_who_may() {
    let mut store = Store::open_in_memory().unwrap();
    let f = fill(&mut store);
    let zoe = casebook::store::caseload::caseload(&store)
        .unwrap()
        .into_iter()
        .find(|r| r.given_name == "Zoë")
        .unwrap()
        .young_person_id;
    let episode = records::episodes_of(&store, &zoe)
        .unwrap()
        .into_iter()
        .find(|e| e.is_open())
        .unwrap()
        .id;
    let codes = CodeLists::embedded();
    let plan = store
        .write(&f.ama.id, clock().now(), |tx| {
            let plan = care_plans::create_plan(
                tx,
                &episode,
                &PlanHeader {
                    date: d("2025-05-20"),
                    support_level: Some(2),
                    interim: false,
                },
                d(TODAY),
            )?;
            care_plans::add_budget_item(
                tx,
                &plan.id,
                &BudgetItem {
                    id: String::new(),
                    description: "Bus pass".into(),
                    budget: "direct_payment".into(),
                    amount_pence: 2500,
                },
                &codes,
            )?;
            Ok(plan.id)
        })
        .unwrap();
    // Ben, an outreach worker, signs in.
    store.sign_in(f.ben.clone());
    let mut app = app(store, &f.ben);
    let mut t = terminal(80, 24);
    run(&mut app, &mut t, "t/zoe<Enter><Enter>pm");
    let status = app.status().expect("a refusal in the status bar");
    assert!(
        status.text.starts_with("Spend not approved"),
        "{}",
        status.text
    );
    assert!(status.text.contains("manager"), "{}", status.text);
    let stored = care_plans::current_plan(app.store(), &episode)
        .unwrap()
        .unwrap();
    assert_eq!(stored.id, plan);
    assert!(stored.has_unapproved_spend(), "nothing was approved");
}
