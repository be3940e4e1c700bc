"""How the course reaches learners: their own workspace (``start``), a check of their setup
(``doctor``) and a static book of the lessons (``site``). The room above ``course``; only the
command line imports it."""
