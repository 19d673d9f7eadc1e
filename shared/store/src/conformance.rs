//! The conformance suite: what every [`Store`](crate::Store) adapter must do, written once
//! against the port (DESIGN principle 3). Each check is a `pub async fn` taking a fresh,
//! empty store and panicking with a message that says what the adapter got wrong.
//!
//! An adapter runs the whole suite, one named `#[tokio::test]` per check, with
//! [`conformance_tests!`](crate::conformance_tests) and an async expression giving a fresh
//! store: anything that dereferences to a `Store` (`Box<dyn Store>`, an `Arc`, or a fixture
//! that also owns a temporary directory or table):
//!
//! ```text
//! mod conformance {
//!     pulse_store::conformance_tests!(super::fresh_store());
//! }
//! ```
//!
//! The calling crate needs `tokio` (with `macros` and `rt`) among its dependencies.

pub mod fixtures;

mod alerts;
mod computations;
mod definitions;
mod deliveries;
mod first_uses;
mod identities;
mod ingestion;
mod isolation;
mod lists;
mod profiles;
mod recompute;
mod rule_state;
mod sample_day;
mod transitions;
mod workspaces;

pub use alerts::*;
pub use computations::*;
pub use definitions::*;
pub use deliveries::*;
pub use first_uses::*;
pub use identities::*;
pub use ingestion::*;
pub use isolation::*;
pub use lists::*;
pub use profiles::*;
pub use recompute::*;
pub use rule_state::*;
pub use transitions::*;
pub use workspaces::*;

/// Expands into one `#[tokio::test]` per conformance check, each on its own fresh store
/// from `$fresh_store` (an expression giving a future of a value that dereferences to a
/// `Store`). A new check is added here as well as in its module.
#[macro_export]
macro_rules! conformance_tests {
    ($fresh_store:expr) => {
        $crate::conformance_tests!(@each $fresh_store;
            // workspaces
            a_created_workspace_is_read_back_and_listed,
            creating_a_workspace_twice_is_refused_as_already_exists,
            keys_are_found_by_hash_with_their_kind_and_workspace,
            // ingestion
            a_batch_is_aggregated_per_identity_day_and_event,
            aggregates_add_up_across_batches,
            daily_usage_is_read_from_the_requested_day_on,
            a_retried_batch_is_counted_once,
            a_message_id_repeated_inside_one_batch_counts_once,
            a_message_id_older_than_seven_days_is_accepted_again,
            purging_message_ids_forgets_the_old_ones_and_counts_them,
            // identities and accounts
            identify_with_both_ids_links_the_anonymous_identity_to_the_user,
            a_later_identify_overrides_a_trait_and_keeps_the_others,
            alias_links_the_previous_id_in_both_forms,
            a_link_that_would_make_a_cycle_is_ignored,
            a_group_call_creates_the_account_with_traits_and_a_membership,
            a_context_group_id_on_a_track_makes_a_membership,
            memberships_report_new_accounts_and_new_members_once,
            single_accounts_and_identities_read_back_as_in_scoring_data,
            // workspace isolation
            usage_of_one_workspace_is_invisible_from_another,
            profiles_of_one_workspace_are_invisible_from_another,
            results_of_one_workspace_are_invisible_from_another,
            // profiles
            a_profile_is_stored_read_listed_and_replaced,
            deleting_a_profile_removes_it_and_its_results,
            a_profile_created_again_after_a_delete_starts_afresh,
            deleting_a_missing_profile_reports_false,
            // computed days
            a_saved_day_reads_back_as_latest_scores_and_snapshots,
            the_latest_day_is_the_greatest_saved_whatever_the_order,
            lists_sort_by_every_field_both_ways_with_missing_values_last,
            lists_filter_by_segment_and_by_account,
            pages_cover_every_item_exactly_once,
            a_cursor_the_store_did_not_issue_is_refused_as_invalid,
            saving_a_day_again_replaces_it,
            segment_sizes_count_each_segments_subjects_on_a_day,
            history_lists_a_subjects_days_in_range_oldest_first,
            // segment transitions
            the_first_save_records_every_membership_as_entered,
            saving_the_same_day_again_records_no_transitions,
            a_subject_gone_the_next_day_leaves_and_its_span_closes,
            a_subject_that_comes_back_opens_a_new_span,
            spans_are_read_by_subject_and_by_segment,
            saving_an_earlier_day_records_no_transitions,
            recomputing_the_latest_day_corrects_its_spans,
            // core features' first use (SPEC §6 `core_feature_adopted`)
            a_members_first_use_of_a_watched_event_is_reported_once_at_its_earliest_time,
            the_earliest_use_in_a_batch_is_reported_whichever_member_did_it,
            an_identity_linked_to_a_member_counts_for_the_members_accounts,
            each_account_of_a_user_gets_its_own_first_use,
            a_retried_batch_reports_no_first_use_again,
            a_users_use_counts_for_the_accounts_its_anonymous_identity_joined,
            a_use_through_a_chain_of_links_counts_for_the_final_users_accounts,
            // what alert evaluation reads from computed days
            keys_on_returns_each_subjects_numbers_for_exactly_that_day,
            keys_on_a_recomputed_day_are_the_latest_runs,
            previous_day_is_the_greatest_computed_day_strictly_before,
            spans_entered_on_a_day_are_exactly_the_ones_that_day_opened,
            rule_matches_are_kept_per_profile_and_day_and_replaced_whole,
            rule_matches_of_one_workspace_are_invisible_from_another,
            // definitions: custom segments and alert rules
            a_definition_is_stored_read_listed_in_id_order_and_replaced,
            segments_and_alert_rules_are_separate_namespaces,
            deleting_a_definition_reports_true_then_false,
            definitions_of_one_workspace_are_invisible_from_another,
            // alerts
            inserting_alerts_returns_only_the_ids_new_to_the_store,
            an_alert_reads_back_with_every_field,
            updating_an_alert_replaces_its_status_next_attempt_and_attempts,
            updating_an_unknown_alert_is_an_error_and_creates_nothing,
            last_alerts_give_each_subjects_latest_raise_for_a_rule,
            alerts_of_one_workspace_are_invisible_from_another,
            // deliveries and alert history
            due_alerts_are_pending_or_retrying_and_due_across_workspaces_oldest_first,
            alerts_are_listed_newest_first_in_pages_covering_each_once,
            alerts_are_filtered_by_status_and_by_rule,
            an_alert_cursor_the_store_did_not_issue_is_refused_as_invalid,
            // sharded recompute: shard reads, accounts, staging of a run
            recompute_shards_split_the_scoring_data_exactly,
            invalid_recompute_shard_arguments_are_refused,
            account_records_are_every_account_of_the_workspace,
            staged_chunks_read_back_in_shard_order_and_a_put_replaces_its_shard,
            finishing_completes_a_run_only_when_every_distinct_shard_is_done,
            a_chunk_over_the_limit_is_refused_and_changes_nothing,
            deleting_a_run_removes_its_chunks_and_finished_shards,
            recompute_runs_of_one_workspace_are_invisible_from_another,
        );
    };
    (@each $fresh_store:expr; $($check:ident),+ $(,)?) => {
        $(
            #[::tokio::test]
            async fn $check() {
                let store = $fresh_store.await;
                $crate::conformance::$check(&*store).await;
            }
        )+
    };
}
