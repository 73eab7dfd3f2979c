// One row per thread, from its shape summary (summaries/refresh.cypher): steps, depth (steps on
// the longest root-to-leaf PARENT_OF chain), maximum branching (most children of one step), tool
// and llm steps, turns (user messages), errors. Threads are filtered by last activity and owner;
// deleted threads have no owner.
// mode: read
// reads: summaries
// params: start, end, user
// returns: thread_id, user, name, last_activity, steps, depth, max_branching, tool_steps, llm_steps, turns, errors
MATCH (u:User)-[:AUTHORED]->(t:Thread)
WHERE ($user IS NULL OR u.identifier = $user)
  AND ($start IS NULL OR t.lastActivity >= $start) AND ($end IS NULL OR t.lastActivity < $end)
RETURN t.id AS thread_id, u.identifier AS user, t.name AS name,
       toString(t.lastActivity) AS last_activity, coalesce(t.shapeSteps, 0) AS steps,
       t.shapeDepth AS depth, t.shapeMaxBranching AS max_branching,
       coalesce(t.shapeToolSteps, 0) AS tool_steps, coalesce(t.shapeLlmSteps, 0) AS llm_steps,
       coalesce(t.shapeTurns, 0) AS turns, coalesce(t.shapeErrors, 0) AS errors
ORDER BY thread_id
