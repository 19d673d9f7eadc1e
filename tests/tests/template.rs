//! template.yaml and samconfig.toml: the linters the deploy relies on pass (cfn-lint 1.53.3
//! and `sam validate --lint`, offline), and are shown to run by failing on a broken copy; the
//! template SAM expands is checked for what neither linter knows: five arm64 Rust functions
//! with JSON logs built by cargo-lambda, least-privilege roles, a retry policy and a
//! dead-letter queue on every asynchronous path, alarms on every queue and function, the
//! routes the Lambda harness assumes and the events the bus carries.
//!
//! The tools come from scripts/aws-tools.sh (PULSE_CFN_LINT, PULSE_SAM, PULSE_SAM_PYTHON, or
//! target/aws-venv when those are unset).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use pulse_bus::DomainEvent;
use pulse_e2e::lambda::HTTP_API_ROUTES;
use pulse_e2e::repo_root;
use serde_json::{Value, json};

const FUNCTIONS: &[(&str, &str)] = &[
    ("IngestFunction", "pulse-ingest"),
    ("ApiFunction", "pulse-api"),
    ("RecomputeFunction", "pulse-recompute"),
    ("EvaluateFunction", "pulse-evaluate"),
    ("NotifyFunction", "pulse-notify"),
];
const ASYNC_FUNCTIONS: &[&str] = &["RecomputeFunction", "EvaluateFunction", "NotifyFunction"];

fn tool(variable: &str, name: &str) -> PathBuf {
    if let Some(path) = std::env::var_os(variable) {
        return PathBuf::from(path);
    }
    let in_venv = repo_root().join("target/aws-venv/bin").join(name);
    assert!(
        in_venv.exists(),
        "{name} is not installed: run `source scripts/aws-tools.sh` (scripts/test.sh does), or set {variable}"
    );
    in_venv
}

/// Runs a tool offline: dummy credentials, a region, no telemetry, no profile of the machine.
fn run(program: &Path, args: &[&str], cwd: &Path) -> (bool, String) {
    let output = Command::new(program)
        .args(args)
        .current_dir(cwd)
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("SAM_CLI_TELEMETRY", "0")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_SESSION_TOKEN")
        .output()
        .unwrap_or_else(|error| panic!("running {}: {error}", program.display()));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

fn template_text() -> String {
    std::fs::read_to_string(repo_root().join("template.yaml")).expect("template.yaml")
}

/// A copy of the template with one edit, in a temporary directory.
fn broken_copy(find: &str, replace: &str) -> (tempfile::TempDir, PathBuf) {
    let text = template_text();
    assert!(
        text.contains(find),
        "the template no longer contains {find:?}"
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("template.yaml");
    std::fs::write(&path, text.replacen(find, replace, 1)).unwrap();
    (dir, path)
}

/// The template as written and as SAM expands it (infra/sam-expand.py).
fn expand(path: &Path) -> (Value, Value) {
    let python = tool("PULSE_SAM_PYTHON", "python");
    let script = repo_root().join("infra/sam-expand.py");
    let path = path.to_str().unwrap();
    let (ok, output) = run(&python, &[script.to_str().unwrap(), path], &repo_root());
    assert!(ok, "SAM could not expand {path}: {output}");
    let mut both: Value = serde_json::from_str(&output).expect("sam-expand.py prints JSON");
    (both["template"].take(), both["expanded"].take())
}

fn ours() -> &'static (Value, Value) {
    static EXPANDED: OnceLock<(Value, Value)> = OnceLock::new();
    EXPANDED.get_or_init(|| expand(&repo_root().join("template.yaml")))
}

fn resources_of_type<'a>(template: &'a Value, kind: &str) -> Vec<(&'a str, &'a Value)> {
    template["Resources"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, resource)| resource["Type"] == kind)
        .map(|(name, resource)| (name.as_str(), &resource["Properties"]))
        .collect()
}

/// What is wrong with the expanded functions' architecture (SAM concatenates a function's
/// `Architectures` with the Globals' list: neither linter notices the invalid pair).
fn architecture_problems(expanded: &Value) -> Vec<String> {
    resources_of_type(expanded, "AWS::Lambda::Function")
        .into_iter()
        .filter(|(_, properties)| properties["Architectures"] != json!(["arm64"]))
        .map(|(name, properties)| format!("{name}: Architectures {}", properties["Architectures"]))
        .collect()
}

#[test]
fn cfn_lint_passes() {
    let (ok, output) = run(
        &tool("PULSE_CFN_LINT", "cfn-lint"),
        &["template.yaml"],
        &repo_root(),
    );
    assert!(ok, "cfn-lint template.yaml:\n{output}");
    assert_eq!(output.trim(), "", "cfn-lint printed findings");
}

#[test]
fn cfn_lint_is_pinned_to_the_version_that_checks_sam_resources() {
    let (ok, output) = run(
        &tool("PULSE_CFN_LINT", "cfn-lint"),
        &["--version"],
        &repo_root(),
    );
    assert!(ok, "{output}");
    assert_eq!(output.trim(), "cfn-lint 1.53.3");
}

#[test]
fn sam_validate_with_lint_passes_offline() {
    let (ok, output) = run(
        &tool("PULSE_SAM", "sam"),
        &["validate", "--lint", "--template-file", "template.yaml"],
        &repo_root(),
    );
    assert!(ok, "sam validate --lint:\n{output}");
    assert!(output.contains("is a valid SAM Template"), "{output}");
}

#[test]
fn samconfig_makes_a_plain_sam_validate_lint() {
    // [default.validate.parameters] lint = true: without it the answer says it was "basic".
    let (ok, output) = run(&tool("PULSE_SAM", "sam"), &["validate"], &repo_root());
    assert!(ok, "sam validate:\n{output}");
    assert!(output.contains("is a valid SAM Template"), "{output}");
    assert!(!output.contains("basic SAM Validation"), "{output}");
}

#[test]
fn both_linters_fail_on_a_ref_to_a_missing_resource_inside_a_sam_function() {
    let (dir, path) = broken_copy(
        "LogGroup: !Ref IngestLogGroup",
        "LogGroup: !Ref MissingLogGroup",
    );
    let path = path.to_str().unwrap();

    let (ok, output) = run(&tool("PULSE_CFN_LINT", "cfn-lint"), &[path], dir.path());
    assert!(!ok, "cfn-lint accepted a !Ref to a missing resource");
    assert!(
        output.contains("E1020") && output.contains("MissingLogGroup"),
        "{output}"
    );

    let (ok, output) = run(
        &tool("PULSE_SAM", "sam"),
        &["validate", "--lint", "--template-file", path],
        dir.path(),
    );
    assert!(
        !ok,
        "sam validate --lint accepted a !Ref to a missing resource"
    );
    assert!(output.contains("MissingLogGroup"), "{output}");
}

#[test]
fn cfn_lint_fails_on_a_ref_to_a_missing_resource_in_plain_cloudformation() {
    let (dir, path) = broken_copy("Value: !Ref NotifyFunction", "Value: !Ref MissingFunction");
    let (ok, output) = run(
        &tool("PULSE_CFN_LINT", "cfn-lint"),
        &[path.to_str().unwrap()],
        dir.path(),
    );
    assert!(!ok && output.contains("MissingFunction"), "{output}");
}

#[test]
fn the_template_expands_to_five_arm64_rust_functions_with_json_logs() {
    let (written, expanded) = ours();
    let functions = resources_of_type(expanded, "AWS::Lambda::Function");
    let names: BTreeSet<&str> = functions.iter().map(|(name, _)| *name).collect();
    let expected: BTreeSet<&str> = FUNCTIONS.iter().map(|(name, _)| *name).collect();
    assert_eq!(names, expected);
    assert_eq!(architecture_problems(expanded), Vec::<String>::new());
    for (name, properties) in functions {
        assert_eq!(properties["Runtime"], "provided.al2023", "{name}");
        assert_eq!(properties["Handler"], "bootstrap", "{name}");
        assert_eq!(properties["LoggingConfig"]["LogFormat"], "JSON", "{name}");
        let environment = &properties["Environment"]["Variables"];
        assert_eq!(
            environment["PULSE_TABLE"],
            json!({"Ref": "PulseTable"}),
            "{name}"
        );
        assert_eq!(
            environment["PULSE_EVENT_BUS"],
            json!({"Ref": "PulseEventBus"}),
            "{name}"
        );
        assert_eq!(
            environment["PULSE_PUBLIC_URL"],
            json!({"Ref": "PublicUrl"}),
            "{name}"
        );
        assert_eq!(
            environment.get("PULSE_SLACK_SECRET_ARN").is_some(),
            name == "NotifyFunction",
            "{name}: only Notify is told where the Slack secret is"
        );
    }
    for (name, binary) in FUNCTIONS {
        let function = &written["Resources"][name];
        assert_eq!(
            function["Metadata"]["BuildMethod"], "rust-cargolambda",
            "{name}"
        );
        assert_eq!(
            function["Metadata"]["BuildProperties"]["Binary"], *binary,
            "{name}"
        );
        assert_eq!(function["Properties"]["CodeUri"], ".", "{name}");
        assert!(
            function["Properties"].get("Architectures").is_none(),
            "{name}: Architectures belongs in Globals only"
        );
    }
    assert_eq!(
        written["Globals"]["Function"]["Architectures"],
        json!(["arm64"])
    );
}

#[test]
fn an_architecture_set_on_a_function_as_well_as_in_globals_is_caught() {
    let (_dir, path) = broken_copy(
        "      CodeUri: .\n      MemorySize: 256\n",
        "      CodeUri: .\n      Architectures: [x86_64]\n      MemorySize: 256\n",
    );
    let (_, expanded) = expand(&path);
    // SAM translator 1.115 lets the function's list win; older ones concatenated the two
    // into an invalid pair. Either way the function is no longer arm64 alone, and no linter
    // says so.
    let problems = architecture_problems(&expanded);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].starts_with("NotifyFunction: Architectures") && problems[0].contains("x86_64"),
        "{problems:?}"
    );
    let (ok, output) = run(
        &tool("PULSE_CFN_LINT", "cfn-lint"),
        &[path.to_str().unwrap()],
        &repo_root(),
    );
    assert!(ok, "cfn-lint now notices it: {output}");
}

/// The IAM actions a function's role allows, with the resources (as JSON text) they apply to.
fn permissions(expanded: &Value, function: &str) -> BTreeMap<String, Vec<String>> {
    let role = &expanded["Resources"][format!("{function}Role")]["Properties"];
    let mut allowed: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for policy in role["Policies"].as_array().into_iter().flatten() {
        for statement in policy["PolicyDocument"]["Statement"].as_array().unwrap() {
            assert_eq!(statement["Effect"], "Allow");
            let actions = match &statement["Action"] {
                Value::String(action) => vec![action.clone()],
                Value::Array(actions) => actions
                    .iter()
                    .map(|action| action.as_str().unwrap().to_string())
                    .collect(),
                other => panic!("{function}: unexpected Action {other}"),
            };
            for action in actions {
                allowed
                    .entry(action)
                    .or_default()
                    .push(statement["Resource"].to_string());
            }
        }
    }
    assert_eq!(
        role["ManagedPolicyArns"],
        json!(["arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"]),
        "{function}: logging is the only managed policy"
    );
    allowed
}

#[test]
fn each_function_may_do_only_what_it_needs() {
    let (_, expanded) = ours();
    for (function, _) in FUNCTIONS {
        let allowed = permissions(expanded, function);
        let services: BTreeSet<&str> = allowed
            .keys()
            .map(|action| action.split(':').next().unwrap())
            .collect();
        let expected: BTreeSet<&str> = match *function {
            "IngestFunction" | "ApiFunction" => ["dynamodb", "events"].into(),
            "RecomputeFunction" | "EvaluateFunction" => ["dynamodb", "events", "sqs"].into(),
            "NotifyFunction" => ["dynamodb", "secretsmanager", "sqs"].into(),
            other => panic!("unexpected function {other}"),
        };
        assert_eq!(services, expected, "{function}");
        for (action, resources) in &allowed {
            for resource in resources {
                assert!(
                    !resource.contains("\"*\""),
                    "{function}: {action} on every resource"
                );
                let scoped = match action.split(':').next().unwrap() {
                    "dynamodb" => resource.contains("PulseTable"),
                    "events" => action == "events:PutEvents" && resource.contains("PulseEventBus"),
                    "sqs" => action == "sqs:SendMessage" && resource.contains("DeadLetterQueue"),
                    "secretsmanager" => {
                        action == "secretsmanager:GetSecretValue"
                            && resource.contains("SlackWebhooksSecret")
                    }
                    _ => false,
                };
                assert!(scoped, "{function}: {action} on {resource}");
            }
        }
    }
}

#[test]
fn every_asynchronous_path_retries_and_ends_in_a_dead_letter_queue() {
    let (_, expanded) = ours();
    let rules = resources_of_type(expanded, "AWS::Events::Rule");
    assert_eq!(
        rules.len(),
        3,
        "evaluate's, notify's, and recompute's fan-out"
    );
    for (name, rule) in rules {
        for target in rule["Targets"].as_array().unwrap() {
            assert!(
                target["RetryPolicy"]["MaximumRetryAttempts"].is_u64(),
                "{name}"
            );
            assert!(
                target["RetryPolicy"]["MaximumEventAgeInSeconds"].is_u64(),
                "{name}"
            );
            let queue = target["DeadLetterConfig"]["Arn"]["Fn::GetAtt"][0].as_str();
            assert!(
                queue.is_some_and(|queue| queue.ends_with("DeadLetterQueue")),
                "{name}"
            );
        }
    }
    let schedules = resources_of_type(expanded, "AWS::Scheduler::Schedule");
    assert_eq!(schedules.len(), 2, "recompute's and notify's sweep");
    let mut expressions = BTreeMap::new();
    for (name, schedule) in schedules {
        let function = schedule["Target"]["Arn"]["Fn::GetAtt"][0].as_str().unwrap();
        expressions.insert(function.to_string(), schedule["ScheduleExpression"].clone());
        assert!(
            schedule.get("Name").is_none(),
            "{name}: a fixed schedule name clashes between stacks"
        );
        assert!(
            schedule["Target"]["RetryPolicy"]["MaximumRetryAttempts"].is_u64(),
            "{name}"
        );
        assert_eq!(
            schedule["Target"]["DeadLetterConfig"]["Arn"],
            json!({"Fn::GetAtt": [function.replace("Function", "DeadLetterQueue"), "Arn"]}),
            "{name}"
        );
    }
    assert_eq!(
        expressions,
        BTreeMap::from([
            (
                "NotifyFunction".to_string(),
                json!({"Ref": "DeliverySweepSchedule"})
            ),
            (
                "RecomputeFunction".to_string(),
                json!({"Ref": "RecomputeSchedule"})
            ),
        ])
    );
    let invoke_configs = resources_of_type(expanded, "AWS::Lambda::EventInvokeConfig");
    let configured: BTreeSet<String> = invoke_configs
        .iter()
        .map(|(_, config)| {
            let function = config["FunctionName"]["Ref"].as_str().unwrap().to_string();
            let destination = &config["DestinationConfig"]["OnFailure"]["Destination"];
            assert_eq!(
                destination["Fn::GetAtt"][0],
                json!(function.replace("Function", "DeadLetterQueue")),
                "{function}'s failed invocations go to its own queue"
            );
            assert!(config["MaximumRetryAttempts"].is_u64(), "{function}");
            function
        })
        .collect();
    let expected: BTreeSet<String> = ASYNC_FUNCTIONS.iter().map(|f| f.to_string()).collect();
    assert_eq!(configured, expected);
    let policy = &expanded["Resources"]["RuleDeadLetterQueuePolicy"]["Properties"];
    assert_eq!(
        policy["PolicyDocument"]["Statement"][0]["Principal"]["Service"],
        "events.amazonaws.com"
    );
}

#[test]
fn every_queue_and_every_function_has_an_alarm() {
    let (_, expanded) = ours();
    let alarms = resources_of_type(expanded, "AWS::CloudWatch::Alarm");
    let watched = |namespace: &str, metric: &str| -> BTreeSet<String> {
        alarms
            .iter()
            .filter(|(_, alarm)| alarm["Namespace"] == namespace && alarm["MetricName"] == metric)
            .map(|(name, alarm)| {
                assert_eq!(alarm["Threshold"], 0, "{name}");
                assert_eq!(
                    alarm["ComparisonOperator"], "GreaterThanThreshold",
                    "{name}"
                );
                assert_eq!(
                    alarm["AlarmActions"]["Fn::If"][0], "HasAlarmTopic",
                    "{name}"
                );
                let value = &alarm["Dimensions"][0]["Value"];
                value["Ref"]
                    .as_str()
                    .or(value["Fn::GetAtt"][0].as_str())
                    .unwrap()
                    .to_string()
            })
            .collect()
    };
    let queues: BTreeSet<String> = resources_of_type(expanded, "AWS::SQS::Queue")
        .iter()
        .map(|(name, _)| name.to_string())
        .collect();
    assert_eq!(queues.len(), 3);
    assert_eq!(
        watched("AWS/SQS", "ApproximateNumberOfMessagesVisible"),
        queues
    );
    let functions: BTreeSet<String> = FUNCTIONS.iter().map(|(name, _)| name.to_string()).collect();
    assert_eq!(watched("AWS/Lambda", "Errors"), functions);
}

#[test]
fn the_http_api_routes_are_the_ones_the_lambda_harness_routes_by() {
    let (written, _) = ours();
    let mut routes = BTreeSet::new();
    for (function, _) in FUNCTIONS {
        let events = &written["Resources"][function]["Properties"]["Events"];
        for event in events
            .as_object()
            .into_iter()
            .flatten()
            .map(|(_, event)| event)
        {
            if event["Type"] == "HttpApi" {
                let properties = &event["Properties"];
                assert_eq!(properties["ApiId"], json!({"Ref": "PulseHttpApi"}));
                assert_eq!(properties["PayloadFormatVersion"], "2.0");
                routes.insert((
                    format!(
                        "{} {}",
                        properties["Method"].as_str().unwrap(),
                        properties["Path"].as_str().unwrap()
                    ),
                    function.to_string(),
                ));
            }
        }
    }
    let harness: BTreeSet<(String, String)> = HTTP_API_ROUTES
        .iter()
        .map(|(route, function)| (route.to_string(), function.to_string()))
        .collect();
    assert_eq!(routes, harness);
}

fn one_of_each_domain_event() -> Vec<DomainEvent> {
    let at = "2026-12-01T10:00:00Z".parse().unwrap();
    vec![
        DomainEvent::AccountCreated {
            workspace: "w".into(),
            account: "a".into(),
            identity: "u:1".into(),
            at,
        },
        DomainEvent::UserJoinedAccount {
            workspace: "w".into(),
            account: "a".into(),
            identity: "u:1".into(),
            account_existed: true,
            at,
        },
        DomainEvent::FeatureFirstUsed {
            workspace: "w".into(),
            account: "a".into(),
            event: "e".into(),
            identity: "u:1".into(),
            at,
        },
        DomainEvent::ScoresRecomputed {
            workspace: "w".into(),
            profile: "cs".into(),
            day: "2026-12-01".parse().unwrap(),
            previous_day: None,
        },
        DomainEvent::RecomputeRequested {
            workspace: "w".into(),
            profile: None,
            as_of: None,
        },
        DomainEvent::RecomputeShardRequested {
            workspace: "w".into(),
            profile: "cs".into(),
            as_of: "2026-12-01".parse().unwrap(),
            run: "r".into(),
            shard: 0,
            shards: 2,
        },
        DomainEvent::AlertRaised {
            workspace: "w".into(),
            channel: None,
            alert_ids: vec![],
        },
    ]
}

#[test]
fn the_rules_send_every_domain_event_to_its_consumer() {
    let (_, expanded) = ours();
    let mut routed: BTreeMap<String, String> = BTreeMap::new();
    for (name, rule) in resources_of_type(expanded, "AWS::Events::Rule") {
        assert_eq!(
            rule["EventBusName"],
            json!({"Ref": "PulseEventBus"}),
            "{name}"
        );
        assert_eq!(
            rule["EventPattern"]["source"],
            json!([pulse_bus::SOURCE]),
            "{name}"
        );
        let target = rule["Targets"][0]["Arn"]["Fn::GetAtt"][0].as_str().unwrap();
        for detail_type in rule["EventPattern"]["detail-type"].as_array().unwrap() {
            let previous = routed.insert(
                detail_type.as_str().unwrap().to_string(),
                target.to_string(),
            );
            assert!(previous.is_none(), "{detail_type} is routed twice");
        }
    }
    let expected: BTreeMap<String, String> = one_of_each_domain_event()
        .iter()
        .map(|event| {
            let consumer = match event {
                DomainEvent::AlertRaised { .. } => "NotifyFunction",
                DomainEvent::RecomputeRequested { .. }
                | DomainEvent::RecomputeShardRequested { .. } => "RecomputeFunction",
                _ => "EvaluateFunction",
            };
            (event.detail_type().to_string(), consumer.to_string())
        })
        .collect();
    assert_eq!(routed, expected);
}

#[test]
fn each_schedule_sends_its_committed_fixture_as_its_input() {
    let (_, expanded) = ours();
    let schedules = resources_of_type(expanded, "AWS::Scheduler::Schedule");
    let mut targets: Vec<(String, Value)> = schedules
        .iter()
        .map(|(_, schedule)| {
            let function = schedule["Target"]["Arn"]["Fn::GetAtt"][0]
                .as_str()
                .unwrap()
                .to_string();
            let input =
                serde_json::from_str(schedule["Target"]["Input"].as_str().unwrap()).unwrap();
            (function, input)
        })
        .collect();
    targets.sort_by(|a, b| a.0.cmp(&b.0));
    let fixture = |name: &str| -> Value {
        let text = std::fs::read_to_string(repo_root().join("infra/events").join(name)).unwrap();
        serde_json::from_str(&text).unwrap()
    };
    assert_eq!(
        targets,
        vec![
            (
                "NotifyFunction".to_string(),
                fixture("schedule-notify.json")
            ),
            (
                "RecomputeFunction".to_string(),
                fixture("schedule-recompute.json")
            ),
        ]
    );
}

#[test]
fn the_table_is_on_demand_with_recovery_expiry_and_one_index() {
    let (_, expanded) = ours();
    let table = &expanded["Resources"]["PulseTable"];
    assert_eq!(table["DeletionPolicy"], "Retain");
    let table = &table["Properties"];
    assert_eq!(table["BillingMode"], "PAY_PER_REQUEST");
    assert_eq!(
        table["KeySchema"],
        json!([{"AttributeName": "PK", "KeyType": "HASH"}, {"AttributeName": "SK", "KeyType": "RANGE"}])
    );
    assert_eq!(
        table["GlobalSecondaryIndexes"],
        json!([{
            "IndexName": "GSI1",
            "KeySchema": [{"AttributeName": "GSI1PK", "KeyType": "HASH"}, {"AttributeName": "GSI1SK", "KeyType": "RANGE"}],
            "Projection": {"ProjectionType": "ALL"}
        }])
    );
    assert_eq!(
        table["TimeToLiveSpecification"],
        json!({"AttributeName": "expires_at", "Enabled": true})
    );
    assert_eq!(
        table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"],
        true
    );
}

#[test]
fn no_webhook_url_is_written_into_the_template() {
    let (_, expanded) = ours();
    for (name, function) in resources_of_type(expanded, "AWS::Lambda::Function") {
        let environment = function["Environment"].to_string();
        assert!(
            !environment.contains("hooks.slack.com"),
            "{name}: {environment}"
        );
    }
    let secret = &expanded["Resources"]["SlackWebhooksSecret"]["Properties"];
    assert_eq!(secret["SecretString"], "{}");
    let outputs: BTreeSet<&str> = expanded["Outputs"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    for output in [
        "ApiUrl",
        "TableName",
        "EventBusName",
        "SlackWebhooksSecretArn",
        "RecomputeDeadLetterQueueUrl",
        "EvaluateDeadLetterQueueUrl",
        "NotifyDeadLetterQueueUrl",
    ] {
        assert!(outputs.contains(output), "missing output {output}");
    }
}
