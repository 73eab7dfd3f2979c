// Full-text indexes for the sidebar search: thread names, and the input and output of messages
// (steps labelled :Message, see step/upsert_step): what the user wrote and was answered. Tool,
// LLM and run steps are not indexed: an LLM step's input holds the whole prompt (the system
// prompt would match every thread), a tool's is JSON, and indexing them cost every such write
// ~1.5-2 ms of Lucene work here (python -m benchmarks.cost_split). Eventually consistent: Lucene is
// updated just after commit instead of inside it, which took ~9 of the ~12 ms a step write
// spent committing. The search query first awaits those updates, so a search still sees every
// write committed before it.
// mode: write
// params:
CREATE FULLTEXT INDEX thread_name_search IF NOT EXISTS FOR (t:Thread) ON EACH [t.name]
OPTIONS {indexConfig: {`fulltext.analyzer`: 'standard-no-stop-words',
                       `fulltext.eventually_consistent`: true}};
CREATE FULLTEXT INDEX message_text_search IF NOT EXISTS FOR (s:Message) ON EACH [s.input, s.output]
OPTIONS {indexConfig: {`fulltext.analyzer`: 'standard-no-stop-words',
                       `fulltext.eventually_consistent`: true}};
