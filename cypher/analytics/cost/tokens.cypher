// Token usage of llm calls (steps whose generation names a model) per model and, as $by says,
// per owner ('user'), per thread ('thread_id') or in total ('model'): calls, prompt and
// completion tokens. Filtered by step creation time and thread owner.
// mode: read
// params: by, start, end, user
// returns: model, key, calls, prompt_tokens, completion_tokens
// Calls per model and thread come from a scan of the step_llm_calls index and the token sums
// from seeks in step_prompt_tokens / step_completion_tokens: no step node is read. Owners are
// looked up per thread only when grouped or filtered by them.
MATCH (s:Step)
WHERE s.model IS NOT NULL AND s.threadId IS NOT NULL AND s.createdAt IS NOT NULL
  AND ($start IS NULL OR s.createdAt >= $start) AND ($end IS NULL OR s.createdAt < $end)
WITH s.model AS model, s.threadId AS threadId, count(*) AS calls
CALL (model, threadId) {
  MATCH (s:Step)
  WHERE s.model = model AND s.threadId = threadId AND s.createdAt IS NOT NULL
    AND s.promptTokens IS NOT NULL
    AND ($start IS NULL OR s.createdAt >= $start) AND ($end IS NULL OR s.createdAt < $end)
  RETURN sum(s.promptTokens) AS prompt
}
CALL (model, threadId) {
  MATCH (s:Step)
  WHERE s.model = model AND s.threadId = threadId AND s.createdAt IS NOT NULL
    AND s.completionTokens IS NOT NULL
    AND ($start IS NULL OR s.createdAt >= $start) AND ($end IS NULL OR s.createdAt < $end)
  RETURN sum(s.completionTokens) AS completion
}
OPTIONAL CALL (threadId) {
  WITH threadId WHERE $by = 'user' OR $user IS NOT NULL
  MATCH (u:User)-[:AUTHORED]->(:Thread {id: threadId})
  RETURN u.identifier AS owner
}
WITH * WHERE $user IS NULL OR owner = $user
RETURN model, CASE $by WHEN 'user' THEN owner WHEN 'thread_id' THEN threadId END AS key,
       sum(calls) AS calls, sum(prompt) AS prompt_tokens, sum(completion) AS completion_tokens
ORDER BY model, key
