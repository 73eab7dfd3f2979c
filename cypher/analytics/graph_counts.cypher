// Sizes of the conversation graph: users, live threads, steps, feedback, elements.
// mode: read
// params:
// returns: users, threads, steps, feedback, elements
RETURN COUNT { (:User) } AS users,
       COUNT { (t:Thread) WHERE NOT t:Deleted } AS threads,
       COUNT { (:Step) } AS steps,
       COUNT { (:Feedback) } AS feedback,
       COUNT { (:Element) } AS elements
