// One row per thread: steps, depth (steps on the longest root-to-leaf PARENT_OF chain), maximum
// branching (most children of one step), tool and llm steps, turns (user messages), errors.
// Threads are filtered by last activity and owner; deleted threads are excluded.
// mode: read
// params: start, end, user
// returns: thread_id, user, name, last_activity, steps, depth, max_branching, tool_steps, llm_steps, turns, errors
MATCH (u:User)-[:AUTHORED]->(t:Thread)
WHERE ($user IS NULL OR u.identifier = $user)
  AND ($start IS NULL OR t.lastActivity >= $start) AND ($end IS NULL OR t.lastActivity < $end)
CALL (t) {
  MATCH (t)-[:CONTAINS]->(s:Step)
  RETURN count(s) AS steps,
         max(COUNT { (s)-[:PARENT_OF]->() }) AS max_branching,
         sum(CASE s.type WHEN 'tool' THEN 1 ELSE 0 END) AS tool_steps,
         sum(CASE s.type WHEN 'llm' THEN 1 ELSE 0 END) AS llm_steps,
         sum(CASE s.type WHEN 'user_message' THEN 1 ELSE 0 END) AS turns,
         sum(CASE WHEN s.isError THEN 1 ELSE 0 END) AS errors
}
CALL (t) {
  // PARENT_OF only links steps, so the degree checks need no label (the planner reads degrees),
  // and the deepest path from a root ends at a leaf, so no leaf test is needed either.
  MATCH (t)-[:CONTAINS]->(root:Step) WHERE NOT EXISTS { ()-[:PARENT_OF]->(root) }
  MATCH path = (root)-[:PARENT_OF*0..]->()
  RETURN max(length(path)) + 1 AS depth
}
RETURN t.id AS thread_id, u.identifier AS user, t.name AS name,
       toString(t.lastActivity) AS last_activity, steps, depth, max_branching, tool_steps,
       llm_steps, turns, errors
ORDER BY thread_id
