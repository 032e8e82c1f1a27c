-- Index review (issue 21, storage per user): no two indexes for one question.
--
-- Emails had three: the uniqueness index (live users of projects with unique emails), the lookup index
-- (project_id, email_normalized, id) and the sort index (project_id, COALESCE(email_normalized, ''), id). The sort
-- index answers every lookup the lookup index did, with the same id order, once lookups compare the sort
-- expression (`COALESCE(email_normalized, '') = $x`, the same as `email_normalized = $x` for the non-empty
-- normalised emails compared; `sql/filter.rs`, `EMAIL_KEY`). Dropping the lookup index saves its bytes per user
-- and one random index insert per user written.
DROP INDEX users_project_email_idx;
