// Retention by cohort: users grouped by the week (Monday) of their first user message; for each
// later week, how many of them sent a message. Cohorts are filtered by their week start.
// mode: read
// params: start, end, user
// returns: cohort, week, active_users
MATCH (u:User)-[:AUTHORED]->(:Thread)-[:CONTAINS]->(s:Step {type: 'user_message'})
WHERE $user IS NULL OR u.identifier = $user
WITH u, collect(DISTINCT date.truncate('week', s.createdAt)) AS weeks,
     min(date.truncate('week', s.createdAt)) AS cohort
WHERE ($start IS NULL OR cohort >= date($start)) AND ($end IS NULL OR cohort < date($end))
UNWIND weeks AS week
RETURN toString(cohort) AS cohort, duration.inDays(cohort, week).days / 7 AS week,
       count(DISTINCT u) AS active_users
ORDER BY cohort, week
