// The step-type path of every turn: the user message, its on_message run, the run's descendants
// in start order, the answer. Counted per distinct path, most common first.
// mode: read
// params: start, end, user, limit
// returns: path, turns
MATCH (u:User)-[:AUTHORED]->(:Thread)-[:CONTAINS]->(m:Step {type: 'user_message'})
      -[:PARENT_OF]->(run:Step {type: 'run'})
WHERE ($user IS NULL OR u.identifier = $user)
  AND ($start IS NULL OR m.createdAt >= $start) AND ($end IS NULL OR m.createdAt < $end)
CALL (run) {
  MATCH (run)-[:PARENT_OF*]->(d:Step)
  WITH d ORDER BY d.start, d.createdAt, d.id
  RETURN collect(d.type) AS types
}
WITH reduce(acc = 'user_message > run', x IN types | acc + ' > ' + x) AS path
RETURN path, count(*) AS turns
ORDER BY turns DESC, path
LIMIT $limit
