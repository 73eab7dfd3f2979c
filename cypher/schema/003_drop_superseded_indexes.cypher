// Indexes of schema versions up to 4 that are gone: range indexes no query's plan used (they
// only slowed step writes and deletes), and the full-text indexes that updated inside every
// commit (replaced by the eventually consistent ones of 004). Dropped by name where they exist,
// before 004 runs: CREATE ... IF NOT EXISTS does nothing while an index on the same label and
// properties exists, whatever its name. step_model (schema 5) gave way to the covering
// indexes of 006. step_text_search (schemas 5-7: the text of every step) gave way to
// message_text_search (schema 8: the text of messages only), and it and thread_name_search
// gave way to message_search and thread_name_by_user (004, schema 9: each document also holds
// its owner's id, so a search reads one user's matches instead of every user's).
// mode: write
// params:
DROP INDEX thread_created IF EXISTS;
DROP INDEX step_created IF EXISTS;
DROP INDEX step_name IF EXISTS;
DROP INDEX thread_search IF EXISTS;
DROP INDEX step_search IF EXISTS;
DROP INDEX step_model IF EXISTS;
DROP INDEX step_text_search IF EXISTS;
DROP INDEX thread_name_search IF EXISTS;
DROP INDEX message_text_search IF EXISTS;
