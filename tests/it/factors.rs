//! Risk-factor evidence: rules carry the factors of the UN Framework of Analysis they are
//! evidence for, packs of them are included from other files, and the board counts what the
//! collector stored, per country and factor, against the window before.

use crate::support;

#[test]
fn included_packs_load_and_cycles_are_named() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("packs")).unwrap();
    std::fs::write(
        dir.path().join("packs/violence.toml"),
        "[[rules]]\nid = \"killings\"\nkind = \"keywords\"\nany = [\"massacre\"]\nseverity = \"info\"\nfactors = [11, 1]\nevidence_only = true\n",
    )
    .unwrap();
    let main = dir.path().join("watchfloor.toml");
    std::fs::write(
        &main,
        "include = [\"packs/violence.toml\"]\n[[feeds]]\nid = \"f\"\nurl = \"https://example.org/f\"\n",
    )
    .unwrap();
    let config = watchfloor::config::load(&main).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(config.rules.len(), 1);
    assert_eq!(config.rules[0].factors, [1, 11]);
    assert!(config.rules[0].evidence_only);

    // A cycle names the chain; an error inside a pack names the pack's file and line.
    std::fs::write(
        dir.path().join("packs/violence.toml"),
        "include = [\"../watchfloor.toml\"]\n[[rules]]\nid = \"killings\"\nkind = \"keywords\"\nany = [\"massacre\"]\nseverity = \"info\"\nfactors = [15]\n",
    )
    .unwrap();
    let err = watchfloor::config::load(&main).unwrap_err().to_string();
    assert!(err.contains("include cycle:"), "{err}");
    assert!(err.contains("watchfloor.toml -> "), "{err}");
    std::fs::write(
        dir.path().join("packs/violence.toml"),
        "[[rules]]\nid = \"killings\"\nkind = \"keywords\"\nany = [\"massacre\"]\nseverity = \"info\"\nfactors = [15]\n",
    )
    .unwrap();
    let err = watchfloor::config::load(&main).unwrap_err().to_string();
    assert!(err.contains("violence.toml:6:"), "{err}");
    assert!(
        err.contains("rules[0].factors: 15 is not a risk factor"),
        "{err}"
    );
    // Packs hold rules only.
    std::fs::write(
        dir.path().join("packs/violence.toml"),
        "[[feeds]]\nid = \"g\"\nurl = \"https://example.org/g\"\n",
    )
    .unwrap();
    let err = watchfloor::config::load(&main).unwrap_err().to_string();
    assert!(err.contains("an included file holds [[rules]]"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn evidence_fills_the_board_and_raises_no_alert() {
    let server = support::start().await;
    let dir = tempfile::tempdir().unwrap();
    let extra = r#"
[[rules]]
id = "killings-evidence"
kind = "keywords"
any = ["massacre", "killed"]
severity = "info"
factors = [11, 1]
evidence_only = true
"#;
    // The fixtures are dated 2025: history must be kept that long, or pruning takes them.
    let text = support::config_text(&server, extra).replacen(
        "[settings]\n",
        "[settings]\nretain = \"3650d\"\n",
        1,
    );
    let cfg = support::write_config(dir.path(), &text);
    let data = dir.path().join("data");
    let out = tokio::task::spawn_blocking({
        let (c, d) = (cfg.clone(), data.clone());
        move || support::headless_once(&c, &d)
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        !stdout.contains("\"rule\":\"killings-evidence\""),
        "evidence-only rules raise no alert"
    );
    let store = watchfloor::store::SqliteStore::open_read_only(&data).unwrap();
    let now = chrono::Utc::now();
    // The fixtures are dated 2025: look back far enough to hold them.
    let window = chrono::Duration::days(3650);
    let sets = store.factor_sets(window, now).unwrap();
    let sd = watchfloor::geo::lookup("SD").unwrap();
    assert_eq!(
        sets.get(&sd).map(Vec::as_slice),
        Some(&[1u8, 11][..]),
        "{sets:?}"
    );
    let board = store.board(sd, window, now).unwrap();
    assert_eq!(board.len(), 14);
    let attack = &board[10];
    assert_eq!(attack.factor, 11);
    assert!(attack.count >= 1 && attack.sources >= 1, "{attack:?}");
    assert_eq!(attack.trend(), "new");
    assert!(
        attack
            .newest
            .as_ref()
            .is_some_and(|(_, title, _)| !title.is_empty())
    );
    assert_eq!(board[1].count, 0, "factor 2 has no evidence");
    // A second run adds nothing: evidence is kept once per item.
    let before = board[10].count;
    let again = tokio::task::spawn_blocking(move || support::headless_once(&cfg, &data))
        .await
        .unwrap();
    assert!(again.status.success());
    let board = store
        .board(sd, window, now + chrono::Duration::seconds(5))
        .unwrap();
    assert_eq!(board[10].count, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_factors_rule_explains_its_cluster_and_statuses_carry_the_set() {
    let server = support::start().await;
    // Today's dates, so the evidence is inside the window.
    let wire = std::fs::read_to_string(support::fixtures_dir().join("wire.rss")).unwrap();
    let now = chrono::Utc::now();
    server.set_fixture(
        "wire.rss",
        &wire
            .replace("Mon, 05 May 2025 10:00:00 GMT", &now.to_rfc2822())
            .replace("Mon, 05 May 2025 12:00:00 GMT", &now.to_rfc2822())
            .replace("Mon, 05 May 2025 11:00:00 +0200", &now.to_rfc2822())
            .replace("2025-05-05T13:00:00Z", &now.to_rfc3339()),
    );
    // The same story reaches the Atom feed; whichever feed is processed first gives it.
    let atom = std::fs::read_to_string(support::fixtures_dir().join("wire.atom")).unwrap();
    server.set_fixture(
        "wire.atom",
        &atom.replace("2025-05-05T14:05:00Z", &now.to_rfc3339()),
    );
    let dir = tempfile::tempdir().unwrap();
    let extra = r#"
[[rules]]
id = "attack-evidence"
kind = "keywords"
any = ["massacre"]
severity = "info"
factors = [11, 1]
evidence_only = true

[[rules]]
id = "factor-cluster"
kind = "factors"
min = 2
severity = "critical"

[[rules]]
id = "needs-preparation"
kind = "factors"
any_of = [11]
with = [7]
severity = "critical"
"#;
    let cfg = support::write_config(dir.path(), &support::config_text(&server, extra));
    let data = dir.path().join("data");
    let out = tokio::task::spawn_blocking(move || support::headless_once(&cfg, &data))
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let events: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let cluster: Vec<&serde_json::Value> = events
        .iter()
        .filter(|e| e["type"] == "alert" && e["rule"] == "factor-cluster")
        .collect();
    assert_eq!(cluster.len(), 1, "once per crossing: {cluster:?}");
    let a = cluster[0];
    assert_eq!(a["kind"], "factors");
    assert_eq!(a["country"], "ML");
    assert_eq!(a["title"], "Evidence for 2 risk factors in Mali");
    assert_eq!(a["value"], 2.0);
    let why = a["explanation"].as_str().unwrap();
    assert!(
        why.starts_with("evidence in the last 30d for 1 Armed conflict"),
        "{why}"
    );
    assert!(
        why.contains("11 Signs of a widespread or systematic attack"),
        "{why}"
    );
    assert!(
        why.to_lowercase().contains("massacre"),
        "one item per factor: {why}"
    );
    assert!(
        !events.iter().any(|e| e["rule"] == "needs-preparation"),
        "factor 7 has no evidence, so `with = [7]` holds it back"
    );
    let ml_status = events
        .iter()
        .rfind(|e| e["type"] == "status" && e["country"] == "ML")
        .expect("Mali's status changed");
    assert_eq!(ml_status["factors"], serde_json::json!([1, 11]));
}

/// Two reports of one story at the same moment, one naming the evidence in its title and one
/// only in its body. A factors alert raised on the body-only report says what made it
/// evidence; once both are in, later alerts quote the same report whichever came first, and
/// so does an engine restarted from the stored evidence.
#[test]
fn the_quoted_evidence_does_not_depend_on_arrival_order() {
    use watchfloor::feed::item::Item;
    use watchfloor::rules::engine::Engine;

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("watchfloor.toml");
    std::fs::write(
        &path,
        r#"
[[feeds]]
id = "agency"
url = "https://example.org/agency"
[[feeds]]
id = "wire"
url = "https://example.org/wire"
[[rules]]
id = "attack"
kind = "keywords"
any = ["massacre", "gunmen"]
severity = "info"
factors = [11, 1]
evidence_only = true
[[rules]]
id = "preparation"
kind = "keywords"
any = ["militia recruits"]
severity = "info"
factors = [7]
evidence_only = true
[[rules]]
id = "cluster"
kind = "factors"
min = 2
severity = "critical"
[[rules]]
id = "three"
kind = "factors"
min = 3
severity = "critical"
"#,
    )
    .unwrap();
    let config = watchfloor::config::load(&path).unwrap_or_else(|e| panic!("{e}"));
    let ml = watchfloor::geo::lookup("ML").unwrap();
    let at = chrono::Utc::now() - chrono::Duration::hours(1);
    let item = |feed: &str, key: &str, title: &str, summary: &str| Item {
        feed: feed.into(),
        key: key.into(),
        title: title.into(),
        url: None,
        summary: summary.into(),
        published: Some(at),
        countries: vec![ml],
        values: Vec::new(),
    };
    let body_only = item(
        "wire",
        "id:w1",
        "Villagers flee after night attack",
        "Gunmen carried out a massacre, witnesses said.",
    );
    let headline = item(
        "agency",
        "id:a1",
        "Massacre in central Mali",
        "Thirty people were killed.",
    );
    let prep = item("wire", "id:w2", "Militia recruits in Mopti", "");
    let quoted = |engine: &mut Engine| {
        let alerts = engine.process(&prep, at, false).alerts;
        let three: Vec<_> = alerts.iter().filter(|a| a.rule == "three").collect();
        assert_eq!(three.len(), 1, "{alerts:?}");
        three[0].explanation.clone().unwrap()
    };
    let want =
        "11 Signs of a widespread or systematic attack on civilians (\"Massacre in central Mali\")";
    for order in [[&headline, &body_only], [&body_only, &headline]] {
        let mut engine = Engine::new(&config).unwrap();
        let cluster: usize = order
            .iter()
            .map(|i| engine.process(i, at, false).alerts.len())
            .sum();
        assert_eq!(cluster, 1, "the cluster crosses once");
        let why = quoted(&mut engine);
        assert!(why.contains(want), "{why}");
    }
    // The body-only report, alone, is quoted with what it matched.
    let alone = {
        let mut engine = Engine::new(&config).unwrap();
        engine.process(&body_only, at, false).alerts
    };
    assert!(
        alone[0]
            .explanation
            .as_deref()
            .unwrap()
            .contains("(\"Villagers flee after night attack\": massacre, gunmen)"),
        "{alone:?}"
    );

    // After a restart the stored evidence ranks the same way: the later alert quotes the
    // headline report for factors 1 and 11, whichever order the store returns them in.
    for order in [[&headline, &body_only], [&body_only, &headline]] {
        let mut engine = Engine::new(&config).unwrap();
        for i in order {
            for factor in [1, 11] {
                engine.restore_evidence(&watchfloor::rules::evidence::StoredEvidence {
                    country: ml,
                    factor,
                    at,
                    primary: true,
                    rule: "attack".into(),
                    feed: i.feed.clone(),
                    item: i.key.clone(),
                    title: i.title.clone(),
                    summary: i.summary.clone(),
                });
            }
        }
        engine.restore_factor_alert("cluster", ml);
        let why = quoted(&mut engine);
        assert!(why.contains(want), "{why}");
    }
}
