// Full-text indexes for the sidebar search: thread names, step input and output. Eventually
// consistent: Lucene is updated just after commit instead of inside it, which took ~9 of the
// ~12 ms a step write spent committing. The search query first awaits those updates, so a
// search still sees every write committed before it.
// mode: write
// params:
CREATE FULLTEXT INDEX thread_name_search IF NOT EXISTS FOR (t:Thread) ON EACH [t.name]
OPTIONS {indexConfig: {`fulltext.analyzer`: 'standard-no-stop-words',
                       `fulltext.eventually_consistent`: true}};
CREATE FULLTEXT INDEX step_text_search IF NOT EXISTS FOR (s:Step) ON EACH [s.input, s.output]
OPTIONS {indexConfig: {`fulltext.analyzer`: 'standard-no-stop-words',
                       `fulltext.eventually_consistent`: true}};
