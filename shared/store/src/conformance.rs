//! The conformance suite: what every [`Store`](crate::Store) adapter must do, written once
//! against the port (DESIGN principle 3). Each check is a `pub async fn` taking a fresh,
//! empty store and panicking with a message that says what the adapter got wrong.
//!
//! An adapter runs the whole suite, one named `#[tokio::test]` per check, with
//! [`conformance_tests!`](crate::conformance_tests) and an async expression giving a fresh
//! store: anything that dereferences to a `Store` (`Box<dyn Store>`, an `Arc`, or a fixture
//! that also owns a temporary directory or table):
//!
//! ```ignore
//! mod conformance {
//!     pulse_store::conformance_tests!(super::fresh_store());
//! }
//! ```
//!
//! The calling crate needs `tokio` (with `macros` and `rt`) among its dependencies.

pub mod fixtures;

mod computations;
mod identities;
mod ingestion;
mod isolation;
mod lists;
mod profiles;
mod sample_day;
mod transitions;
mod workspaces;

pub use computations::*;
pub use identities::*;
pub use ingestion::*;
pub use isolation::*;
pub use lists::*;
pub use profiles::*;
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
