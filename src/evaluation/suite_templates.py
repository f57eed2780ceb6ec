"""Templates and slot words of the functional test suite (src/evaluation/suite.py), all written for this project.

Slots: {group} (an identity group), {insult} / {vermin} (rotated per template and group), {object} / {person} /
{thing} (crossed with every template of the functionalities without a group). Square brackets mark the hateful
keyword(s) that the spelling variants perturb; they are stripped from the final text.
"""

from __future__ import annotations

# Plain, neutral plural group nouns (no slurs): every template reads "<group> are ...". Grouped by kind so the
# held-out half can take half of each kind (an even count per kind keeps that exact).
GROUP_KINDS: dict[str, list[str]] = {
    "religion": ["Muslims", "Jews", "Christians", "Hindus", "Sikhs", "Buddhists"],
    "gender_sexuality": ["women", "gay people", "lesbians", "trans people"],
    "race_ethnicity": ["Black people", "Asians", "Mexicans", "Arabs", "Latinos", "Native Americans"],
    "migration": ["immigrants", "refugees"],
    "disability": ["disabled people", "blind people"],
}
GROUPS: list[str] = [g for kind in GROUP_KINDS.values() for g in kind]

# Mild insults only; each needs 4+ letters and one of a/e/i/o/s so every spelling variant applies.
SLOTS: dict[str, list[str]] = {
    "insult": ["worthless", "pathetic", "stupid", "disgusting", "useless", "filthy", "vile", "brainless", "repulsive"],
    "vermin": ["rats", "vermin", "cockroaches", "animals", "maggots", "leeches", "insects", "beasts", "termites"],
    "object": ["printer", "phone", "laptop", "app", "update", "website", "microwave", "router", "keyboard", "car"],
    "person": [
        "my landlord", "my boss", "the referee", "my ex", "my neighbour", "that streamer", "the guy at the gym",
        "my roommate", "our coach", "the mechanic",
    ],
    "thing": ["game", "traffic jam", "exam", "movie", "storm", "concert", "pizza", "meeting", "sunset", "song"],
}  # fmt: skip

TEMPLATES: dict[str, list[str]] = {
    "explicit_derogation": [
        "{group} are [{insult}], every last one of them.",
        "I can't stand {group}, they are all [{insult}].",
        "Honestly {group} are the most [{insult}] people on this planet.",
        "Every single one of those {group} is [{insult}] and always will be.",
        "{group} are [worthless] and deserve nothing from us.",
        "I [despise] {group} more than anything.",
        "{group} make me sick, each of them is [{insult}].",
        "Nothing good has ever come from {group}, they are simply [{insult}].",
        "{group} are [inferior] to the rest of us in every way.",
        "Let's be clear, {group} are [{insult}] trash.",
    ],
    "dehumanising_comparison": [
        "{group} are no more than [{vermin}] in human clothing.",
        "{group} are like [{vermin}] spreading through our cities.",
        "{group} multiply like [{vermin}], look at them.",
        "To me {group} are just [{vermin}] walking on two legs.",
        "{group} are a [disease] eating away at this country.",
        "{group} are [subhuman] and should be treated that way.",
        "{group} are a [plague] on every neighbourhood they move into.",
        "You can't call {group} people, they are [{vermin}].",
        "{group} are [parasites] feeding off the rest of us.",
        "{group} are no better than [{vermin}] in a sewer.",
    ],
    "threat": [
        "Someone should [kill] all the {group} in this town.",
        "I am going to [attack] the next group of {group} I see.",
        "{group} should be [shot] on sight.",
        "We will [torch] the houses of {group} this weekend.",
        "It is time to [exterminate] {group} once and for all.",
        "{group} deserve to be [hanged], every last one.",
        "If I run into {group} tonight I will [beat] them senseless.",
        "Let's [wipe] {group} off the map for good.",
        "{group} need to be [eliminated] before it is too late.",
        "I would happily [shoot] every one of those {group}.",
    ],
    "implicit_derogation": [
        "{group} don't [belong] in a decent society.",
        "Another crime on the news and of course it was {group}. [Typical].",
        "{group} should go back where they [came] from.",
        "Never trust {group}, they only ever look out for [themselves].",
        "This street was [safe] before {group} moved in.",
        "{group} contribute nothing and take [everything].",
        "Keep {group} far away from our [children].",
        "A country full of {group} is a country in [decline].",
        "Whatever {group} say, they secretly want to [replace] us.",
        "I would never hire {group}, they are not [capable] of real work.",
    ],
    "hate_as_question_or_opinion": [
        "Why are {group} always so [{insult}]?",
        "Am I the only one who thinks {group} are [{insult}]?",
        "In my opinion {group} are a [cancer] on society.",
        "Isn't it obvious by now that {group} are [inferior]?",
        "I honestly believe {group} are [{insult}] by nature.",
        "Just asking: why do we even [tolerate] {group} here?",
        "Is it just me or are {group} [ruining] everything?",
        "My view is simple: {group} are [{insult}] and useless to this country.",
        "Can anyone name one thing {group} have done that isn't [disgusting]?",
        "I think the world would be much better [without] {group}.",
    ],
    "negated_hate": [
        "I honestly don't hate {group}, I never have.",
        "{group} are not {insult}, and whoever says so is wrong.",
        "I have never once thought that {group} are {vermin}.",
        "It is simply not true that {group} are {insult}.",
        "I would never wish any harm on {group}.",
        "There is nothing wrong with {group} at all.",
        "{group} are no worse than anyone else around here.",
        "I refuse to dislike {group} just because others do.",
        "No, {group} are not a threat to this country.",
        "I don't think {group} should be treated any differently.",
    ],
    "identity_neutral": [
        "I met some {group} at the train station today.",
        "There are a lot of {group} living in my city.",
        "The article was about {group} and their history.",
        "My coworker is writing a report on {group} in the job market.",
        "A new community center for {group} opened downtown.",
        "How many {group} live in Canada these days?",
        "The documentary interviewed {group} from three different towns.",
        "{group} were part of the survey we ran last month.",
        "We talked about {group} in our sociology class today.",
        "The census added a new question that counts {group}.",
    ],
    "identity_positive": [
        "I really love having {group} as neighbours.",
        "{group} are some of the kindest people I have met.",
        "So proud of all the {group} in our community.",
        "{group} have made this country a better place.",
        "Some of the most generous people I know are {group}.",
        "We are lucky to have {group} in our town.",
        "{group} deserve respect and equal rights like everyone.",
        "Happy to stand with {group} today and every day.",
        "My best friends growing up were {group}.",
        "{group} bring so much talent and energy to our team.",
    ],
    "counter_speech": [
        'Saying "{group} are {insult}" is hateful and wrong.',
        "Stop calling {group} {vermin}, that kind of talk is shameful.",
        "People who claim {group} are {vermin} should be ashamed of themselves.",
        "If you think {group} are {insult}, you need to meet more people.",
        "I reported the post that said {group} should be shot.",
        "Hating {group} makes you the problem, not them.",
        '"{group} don\'t belong here" is exactly the kind of hate we must call out.',
        "The comment above says {group} are {insult}. That is bigotry, plain and simple.",
        "Threatening {group} is never acceptable, full stop.",
        "Nobody deserves to hear that {group} are {vermin}, and I won't stay silent.",
    ],
    "abuse_at_objects": [
        "This {object} is absolutely worthless.",
        "I hate this stupid {object} so much.",
        "My {object} is pathetic, it broke again.",
        "This {object} is useless garbage.",
        "What a disgusting piece of junk this {object} is.",
        "I could smash this {object} against the wall.",
        "This {object} is the dumbest thing I have ever paid for.",
        "Honestly, I despise my {object} more than anything.",
        "The new {object} is trash, a total waste of money.",
        "I want to kill this {object}, it never works.",
    ],
    "abuse_at_individuals": [
        "{person} is a complete idiot.",
        "I can't stand {person}, such a pathetic loser.",
        "{person} is stupid and lazy.",
        "Honestly {person} is the most useless person I know.",
        "{person} is a worthless liar.",
        "I hate {person} so much right now.",
        "Nobody cares what {person} thinks, what a clown.",
        "{person} is a brainless moron.",
        "Ugh, {person} is just pathetic.",
        "{person} acts like a spoiled child and it is embarrassing.",
    ],
    "profanity_non_hateful": [
        "Damn, that {thing} was something else.",
        "What the hell was that {thing} about?",
        "Holy shit, did you see that {thing}?",
        "That {thing} was bloody brilliant.",
        "Oh crap, I forgot about the {thing}.",
        "Hell yeah, best {thing} of the year!",
        "Shit, I'm late for the {thing} again.",
        "That {thing} was damn near perfect.",
        "Crap, the {thing} ruined my whole evening.",
        "Bloody hell, what a {thing}.",
    ],
}

# Template id prefixes (ids are <prefix><2-digit position>, so keep list order stable).
PREFIX: dict[str, str] = {
    "explicit_derogation": "ED",
    "dehumanising_comparison": "DC",
    "threat": "TH",
    "implicit_derogation": "ID",
    "hate_as_question_or_opinion": "QO",
    "negated_hate": "NH",
    "identity_neutral": "IN",
    "identity_positive": "IP",
    "counter_speech": "CS",
    "abuse_at_objects": "AO",
    "abuse_at_individuals": "AI",
    "profanity_non_hateful": "PN",
}
