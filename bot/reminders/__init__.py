"""Reminders and therapist check-ins: durable, never doubled, in the client's own time.

- :mod:`.schedule`: local times to UTC instants (DST, quiet hours), pure.
- :mod:`.store`: reminders as rows, and their occurrences made ahead of time.
- :mod:`.delivery`: claiming due occurrences, the rules that hold one back, "sent" once.
- :mod:`.prompts`: what each kind of reminder says.
- :mod:`.handoff`: passing a claim to Rasa (``trigger_intent``) or to the outbox.
- :mod:`.lease`: one active scheduler among several.
- :mod:`.loop`: the scheduler process's reminder job.
- :mod:`.commands`: clients changing their reminders by text.
- :mod:`.checkins`: therapists' questions and the answers kept for them.
"""
