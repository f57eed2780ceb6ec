"""Probe sentences written for this project (never taken from a dataset), shared by every notebook."""

# Harmless sentences that mention identity groups test whether a model learned "identity word = hate".
PROBES: list[str] = [
    "my muslim neighbour helped me fix the car this morning",
    "the jewish bakery on our street makes the best bread",
    "gay couples adopted three kids in our town last year",
    "black history month starts next week at the library",
    "thank you all for the kind words and support",
    "go back to your country you filthy animals",
    "these people are vermin and should be wiped out",
    "shut up you stupid idiot nobody cares",
    "we should hang every last one of them",
]
