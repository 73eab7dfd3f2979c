// Rated turns (a run under a user message whose answer has feedback), by the lowest value given:
// positive (1) and negative (0) totals. Starts from the feedback, so it reads rated turns only.
// mode: read
// params: start, end, user
// returns: positive, negative
MATCH (f:Feedback)-[:RATED]->(:Step {type: 'assistant_message'})<-[:PARENT_OF]-(run:Step {type: 'run'})
      <-[:PARENT_OF]-(m:Step {type: 'user_message'})<-[:CONTAINS]-(:Thread)<-[:AUTHORED]-(u:User)
WHERE ($user IS NULL OR u.identifier = $user)
  AND ($start IS NULL OR m.createdAt >= $start) AND ($end IS NULL OR m.createdAt < $end)
WITH run, min(f.value) AS value
RETURN sum(CASE value WHEN 1 THEN 1 ELSE 0 END) AS positive,
       sum(CASE value WHEN 0 THEN 1 ELSE 0 END) AS negative
