// Range indexes for the sidebar order (user, last activity, id), favorites, element lookups
// and the analytics' step-type seeks (006 adds the analytics' covering indexes). Each index costs every step write and delete: add one
// only for a query whose plan uses it.
// mode: write
// params:
CREATE INDEX thread_user_activity IF NOT EXISTS FOR (t:Thread) ON (t.userId, t.lastActivity, t.id);
CREATE INDEX step_type IF NOT EXISTS FOR (s:Step) ON (s.type);
CREATE INDEX step_favorite IF NOT EXISTS FOR (s:Step) ON (s.favorite);
CREATE INDEX element_thread IF NOT EXISTS FOR (e:Element) ON (e.threadId);
