// Per day: user messages, active and new threads, active, new and returning users. A thread is
// new on the day of its first user message, a user on the day of their first message ever.
// Days and filters use the message time; deleted threads have no AUTHORED link (excluded).
// mode: read
// params: start, end, user
// returns: day, messages, threads, new_threads, active_users, new_users
MATCH (u:User)-[:AUTHORED]->(t:Thread)-[:CONTAINS]->(s:Step {type: 'user_message'})
WHERE $user IS NULL OR u.identifier = $user
WITH u, t, min(s.createdAt) AS threadStart, collect(s.createdAt) AS times
WITH u, min(threadStart) AS userStart, collect({t: t.id, start: threadStart, times: times}) AS threads
UNWIND threads AS th
UNWIND th.times AS at
WITH u, userStart, th, at
WHERE ($start IS NULL OR at >= $start) AND ($end IS NULL OR at < $end)
WITH date(at) AS day, u, userStart, th
RETURN toString(day) AS day,
       count(*) AS messages,
       count(DISTINCT th.t) AS threads,
       count(DISTINCT CASE WHEN date(th.start) = day THEN th.t END) AS new_threads,
       count(DISTINCT u) AS active_users,
       count(DISTINCT CASE WHEN date(userStart) = day THEN u END) AS new_users
ORDER BY day
