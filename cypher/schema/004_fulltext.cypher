// Full-text indexes for the sidebar search: thread names, and the input and output of messages
// (steps labelled :Message, see step/upsert_step): what the user wrote and was answered. Tool,
// LLM and run steps are not indexed: an LLM step's input holds the whole prompt (the system
// prompt would match every thread), a tool's is JSON, and indexing them cost every such write
// ~1.5-2 ms of Lucene work here (python -m benchmarks.cost_split). Eventually consistent: Lucene is
// updated just after commit instead of inside it, which took ~9 of the ~12 ms a step write
// spent committing. The search query first awaits those updates, so a search still sees every
// write committed before it.
// Each document also holds its owner's id (a thread's userId; a step carries its thread's as
// userId, see step/upsert_step and thread/update_thread), and the search requires it: Lucene
// then reads the intersection of the words' and the user's postings instead of every user's
// matches (a common word or a one-letter prefix, on the benchmark's 111,686-thread database:
// 0.5-0.85 s a search for a 1,000-thread user before, 14-23 ms with the owner's id;
// python -m benchmarks.search_scope).
// mode: write
// params:
CREATE FULLTEXT INDEX thread_name_by_user IF NOT EXISTS FOR (t:Thread) ON EACH [t.name, t.userId]
OPTIONS {indexConfig: {`fulltext.analyzer`: 'standard-no-stop-words',
                       `fulltext.eventually_consistent`: true}};
CREATE FULLTEXT INDEX message_search IF NOT EXISTS
FOR (s:Message) ON EACH [s.input, s.output, s.userId]
OPTIONS {indexConfig: {`fulltext.analyzer`: 'standard-no-stop-words',
                       `fulltext.eventually_consistent`: true}};
