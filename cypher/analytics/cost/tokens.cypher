// Token usage of llm calls (steps whose generation names a model) per model, user and thread:
// calls, prompt and completion tokens. Filtered by step creation time and thread owner.
// mode: read
// params: start, end, user
// returns: model, user, thread_id, calls, prompt_tokens, completion_tokens
// Starts from the step_model index (it holds llm calls only), not from every thread's steps.
MATCH (s:Step)
WHERE s.model IS NOT NULL
  AND ($start IS NULL OR s.createdAt >= $start) AND ($end IS NULL OR s.createdAt < $end)
MATCH (t:Thread)-[:CONTAINS]->(s)
OPTIONAL MATCH (u:User)-[:AUTHORED]->(t)
WITH s, t, u WHERE $user IS NULL OR u.identifier = $user
RETURN s.model AS model, u.identifier AS user, t.id AS thread_id, count(*) AS calls,
       sum(coalesce(s.promptTokens, 0)) AS prompt_tokens,
       sum(coalesce(s.completionTokens, 0)) AS completion_tokens
ORDER BY model, user, thread_id
