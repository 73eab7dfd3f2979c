// Schema 6: what keeps the analytics fast on large graphs (cypher/analytics/):
// - `durationMs` (end - start) is written with every step; `step_latency` covers the latency
//   percentiles (an index scan returns type, name, duration and creation time without reading
//   a node) and `step_duration` gives the slowest steps in index order;
// - token usage is summed from three covering indexes of llm calls (step_llm_calls,
//   step_prompt_tokens, step_completion_tokens; 003 drops the step_model they replace);
// - per-thread and per-turn summaries are refreshed before an analysis reads them
//   (cypher/analytics/summaries/refresh.cypher) for the threads every write marks
//   :AnalyticsStale; `step_turn` finds the summarised turns.
// The data statements upgrade a database written by an older version (or by something that
// recorded no version) once: never again after a version of 6 or more is recorded. They work
// in batches so a large graph never needs one huge transaction. Steps get an empty name when
// they have none (the layer now stores one for every step: the covering index needs it).
// mode: write
// params:
CREATE INDEX step_latency IF NOT EXISTS FOR (s:Step) ON (s.type, s.name, s.durationMs, s.createdAt);
CREATE INDEX step_duration IF NOT EXISTS FOR (s:Step) ON (s.durationMs);
CREATE INDEX step_turn IF NOT EXISTS FOR (s:Step) ON (s.turnAt);
CREATE INDEX step_llm_calls IF NOT EXISTS FOR (s:Step) ON (s.model, s.threadId, s.createdAt);
CREATE INDEX step_prompt_tokens IF NOT EXISTS
  FOR (s:Step) ON (s.model, s.threadId, s.createdAt, s.promptTokens);
CREATE INDEX step_completion_tokens IF NOT EXISTS
  FOR (s:Step) ON (s.model, s.threadId, s.createdAt, s.completionTokens);
OPTIONAL MATCH (m:GraphLayerSchema {name: 'graph_layer'})
WITH m WHERE m IS NULL OR m.version < 6
MATCH (s:Step)
WHERE s.name IS NULL OR (s.durationMs IS NULL AND s.end IS NOT NULL AND s.start IS NOT NULL)
CALL (s) {
  SET s.durationMs = s.end.epochMillis - s.start.epochMillis, s.name = coalesce(s.name, '')
} IN TRANSACTIONS OF 10000 ROWS;
OPTIONAL MATCH (m:GraphLayerSchema {name: 'graph_layer'})
WITH m WHERE m IS NULL OR m.version < 6
MATCH (t:Thread) WHERE NOT t:Deleted
CALL (t) {
  SET t:AnalyticsStale
} IN TRANSACTIONS OF 10000 ROWS;
