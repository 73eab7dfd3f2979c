// Feedback per step-type path of a turn (the run under a user message, its descendants in start
// order): turns with that path, how many were rated, rated positive (1) and negative (0).
// mode: read
// params: start, end, user
// returns: item, turns, rated, positive, negative
MATCH (u:User)-[:AUTHORED]->(:Thread)-[:CONTAINS]->(m:Step {type: 'user_message'})
      -[:PARENT_OF]->(run:Step {type: 'run'})
WHERE ($user IS NULL OR u.identifier = $user)
  AND ($start IS NULL OR m.createdAt >= $start) AND ($end IS NULL OR m.createdAt < $end)
CALL (run) {
  OPTIONAL MATCH (run)-[:PARENT_OF]->(:Step {type: 'assistant_message'})<-[:RATED]-(f:Feedback)
  RETURN min(f.value) AS value
}
CALL (run) {
  OPTIONAL MATCH (run)-[:PARENT_OF*]->(d:Step)
  WITH d ORDER BY d.start, d.createdAt, d.id
  WITH collect(d) AS steps
  RETURN reduce(acc = 'user_message > run', d IN steps | acc + ' > ' + d.type) AS item
}
RETURN item, count(*) AS turns, count(value) AS rated,
       sum(CASE value WHEN 1 THEN 1 ELSE 0 END) AS positive,
       sum(CASE value WHEN 0 THEN 1 ELSE 0 END) AS negative
ORDER BY turns DESC, item
