// Full-text indexes for sidebar search over thread names and step input/output (case-insensitive).
// mode: write
// params:
CREATE FULLTEXT INDEX thread_search IF NOT EXISTS FOR (t:Thread) ON EACH [t.name]
OPTIONS {indexConfig: {`fulltext.analyzer`: 'standard-no-stop-words'}};
CREATE FULLTEXT INDEX step_search IF NOT EXISTS FOR (s:Step) ON EACH [s.input, s.output]
OPTIONS {indexConfig: {`fulltext.analyzer`: 'standard-no-stop-words'}};
