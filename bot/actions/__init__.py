"""The Rasa SDK action server: ``rasa run actions --actions bot.actions``.

One module per capability (session, consent, diary), each thin: the work is
done by the plain-Python core in ``bot``.
"""
