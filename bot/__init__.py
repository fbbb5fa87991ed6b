"""WiseMind: a DBT skills coach that clients text between therapy sessions.

The ``bot`` package is the plain-Python core (storage, diary logic, clinic
administration, CLI). Rasa-specific code lives in ``bot.actions`` (the action
server) and in ``channels`` (input/output channels); the core imports neither.
"""
