"""The world's words: what captions say and what prompt parsing understands, in one place.

Generation phrases and parsing triggers live side by side so they cannot drift apart: every phrase a
caption may use for a fact contains one of the triggers that `parse_prompt` maps back to that fact, and
no phrase for one fact contains a trigger of another (tests/world/test_caption.py checks both ways).
"""

from __future__ import annotations

# --- dialogue ---------------------------------------------------------------------------------------

# Short everyday lines (2-8 words) for sampled dialogue. No double quotes: captions quote lines with them.
DIALOGUE_LINES: tuple[str, ...] = (
    "Watch this!", "Did you hear that?", "It's raining again.", "Here it comes!", "That was loud.",
    "Look out below!", "Nice shot!", "Try it again.", "Where did it go?", "I told you so.",
    "Hello there!", "What was that noise?", "Catch it if you can!", "Not bad at all.", "One more time.",
    "Can you believe it?", "That is heavy.", "Ready, set, go!", "Oh no, not again.", "It floats!",
    "It sinks like a stone.", "Listen to that.", "Good morning, friend.", "I can do better.",
    "Keep your eyes open.", "Is everyone okay?", "That went well.", "Let me try.", "Wow, look at it go!",
    "I think it broke.", "Almost got it!", "Do it again!", "What a sound!", "My turn now.",
    "Stand back, please.", "That was close.", "Who threw that?", "It bounced so high!", "Quiet, everyone.",
    "I love this game.", "Are you ready?", "Here we go again.", "Be careful with that.", "Perfect timing!",
    "It is so windy today.", "Look at the birds.", "Time for a break.", "Can you hear me?",
    "That made me jump.", "See, I was right.", "Let's go home.", "What happens next?", "Over here!",
    "Not my fault!", "Give it a push.", "Drop it now!", "Slow down a little.", "That is amazing.",
    "I'm so hungry.", "Thank you very much.", "Wait for me!", "How did you do that?", "Let's play outside.",
    "It's getting late.", "Did anyone see that?", "This is fun.", "Hold on a second.", "We did it!",
    "You missed!", "Right on target.", "That's my favourite.", "Shh, listen carefully.",
    "Not so fast!", "Well, that happened.", "Again, but higher.", "I need a rest.", "Come and see this.",
    "Who wants to play?", "That was easy.", "So much noise today.", "Nobody move.",
)  # fmt: skip

# --- objects ----------------------------------------------------------------------------------------

SHAPE_NOUNS: dict[str, tuple[str, ...]] = {
    "ball": ("ball", "sphere"),
    "cube": ("cube", "block"),
    "brick": ("brick", "slab"),
}
MATERIAL_ADJECTIVES: dict[str, tuple[str, ...]] = {
    "wood": ("wooden", "wood"),
    "metal": ("metal", "metallic", "steel"),
    "rubber": ("rubber",),
    "glass": ("glass",),
}
MATERIAL_NOUNS: dict[str, tuple[str, ...]] = {
    "wood": ("wood",),
    "metal": ("metal", "steel"),
    "rubber": ("rubber",),
    "glass": ("glass",),
}
# Extra words people use for a shape, material or colour (parse only).
SHAPE_SYNONYMS: dict[str, str] = {"orb": "ball", "globe": "ball", "die": "cube", "dice": "cube"}
MATERIAL_SYNONYMS: dict[str, str] = {
    "timber": "wood", "iron": "metal", "tin": "metal", "aluminium": "metal", "aluminum": "metal",
    "chrome": "metal", "rubbery": "rubber", "glassy": "glass", "crystal": "glass",
}  # fmt: skip
COLOR_SYNONYMS: dict[str, str] = {"grey": "gray", "violet": "purple", "turquoise": "teal", "cyan": "teal"}
# Adjectives a noun phrase may carry besides colour and material (skipped when parsing).
SIZE_WORDS: dict[str, tuple[str, ...]] = {
    "small": ("small", "little", "tiny"),
    "large": ("large", "big", "heavy-looking"),
}
FILLER_ADJECTIVES: tuple[str, ...] = (
    "shiny", "smooth", "polished", "solid", "heavy", "light", "plain", "bright", "dark", "round", "single",
    "old", "new", "lone", "hard", "hollow", "sturdy", "painted", "glossy", "matte",
)  # fmt: skip

# Verbs that state how an object is set moving: (generation phrases live in caption.py) parse forms.
ACTION_WORDS: dict[str, tuple[str, ...]] = {
    "dropped": ("drop", "drops", "dropped", "dropping", "fall", "falls", "falling", "fell", "let", "lets",
                "release", "releases", "released"),
    "thrown": ("throw", "throws", "thrown", "threw", "throwing", "toss", "tosses", "tossed", "hurl",
               "hurls", "hurled", "lob", "lobs", "lobbed", "fling", "flings", "flung"),
    "rolled": ("roll", "rolls", "rolled", "rolling"),
    "pushed": ("push", "pushes", "pushed", "pushing", "shove", "shoves", "shoved", "slide", "slides",
               "sliding", "slid", "nudge", "nudges", "nudged"),
}  # fmt: skip

# --- sounds -----------------------------------------------------------------------------------------

# Words agree with sound/impacts.py's MATERIAL_SOUND[...].words (what each material sounds like).
MATERIAL_SOUNDS: dict[str, tuple[str, ...]] = {
    "metal": ("a sharp metallic clang", "a loud clang", "a ringing metallic clang", "a hard metallic clank",
              "a bright metallic ding"),
    "wood": ("a hollow wooden knock", "a dry wooden clack", "a woody thock", "a hollow knock"),
    "rubber": ("a dull rubbery thud", "a soft thud", "a muffled rubbery thud", "a dull, bouncy thud"),
    "glass": ("a bright glassy clink", "a high glassy tink", "a delicate clink", "a crisp glassy tink"),
}  # fmt: skip
# Sound words recognised in prompts, mapped to a canonical word.
SOUND_WORDS: dict[str, str] = {
    **{w: w for w in ("clang", "clank", "ping", "knock", "clack", "thunk", "thud", "thump", "clink",
                      "tink", "chime", "splash", "plop", "crash", "bang", "boom", "rattle", "scrape",
                      "squeak", "ring", "ding", "whoosh", "swish", "rumble", "tap", "patter", "howl",
                      "chirp", "murmur", "hum", "click", "clatter", "slap", "smack", "creak", "buzz", "thock",
                      "boing", "bonk", "crack")},
    "splashes": "splash", "splashing": "splash", "clangs": "clang", "thuds": "thud", "knocks": "knock",
    "clinks": "clink", "patters": "patter", "howls": "howl", "chirps": "chirp", "murmurs": "murmur",
    "rings": "ring", "hums": "hum", "bangs": "bang", "crashes": "crash", "rattles": "rattle",
    "clanks": "clank", "thumps": "thump", "pings": "ping", "chirping": "chirp", "howling": "howl",
    "clatters": "clatter", "dings": "ding", "clacks": "clack", "creaks": "creak", "taps": "tap",
}  # fmt: skip

# --- ambience, style, setting, floor ------------------------------------------------------------------

AMBIENCE_PHRASES: dict[str, tuple[str, ...]] = {
    "rain": ("rain patters in the background", "it is raining steadily", "the patter of rain fills the air",
             "rain drums softly all around", "a steady rain comes down"),
    "wind": ("wind howls in the background", "a gusty wind blows", "the wind whistles past",
             "strong gusts of wind roar"),
    "birds": ("birds chirp nearby", "birdsong fills the air", "birds are singing in the distance",
              "a few birds are chirping"),
    "crowd": ("a crowd murmurs in the background", "the chatter of a crowd can be heard",
              "an audience murmurs quietly", "a crowd of people chatters nearby"),
    "room": ("there is only a faint room tone", "a quiet room hum sits in the background",
             "the soft hum of room tone fills the background", "it is a quiet room"),
    "silence": ("there is silence in the background", "the background is completely silent",
                "no background noise, just silence", "everything else is silent"),
}  # fmt: skip
# Parse triggers: single tokens, or "a b" token pairs (matched as consecutive tokens).
AMBIENCE_TRIGGERS: dict[str, tuple[str, ...]] = {
    "rain": ("rain", "raining", "rainy", "rainfall", "drizzle", "downpour", "raindrops"),
    "wind": ("wind", "windy", "breeze", "gust", "gusts", "gusty", "gale"),
    "birds": ("bird", "birds", "birdsong", "chirp", "chirps", "chirping", "tweeting"),
    "crowd": ("crowd", "audience", "murmur", "murmurs", "chatter", "chatters", "spectators"),
    "room": ("room tone", "quiet room", "room hum", "hum of the room", "ambient hum"),
    "silence": ("silence", "silent", "no sound", "no background"),
}
STYLE_PREFIXES: dict[str, tuple[str, ...]] = {
    "realistic": (
        "Realistic footage",
        "A realistic video",
        "Photorealistic",
        "Realistic style",
        "A lifelike, realistic scene",
    ),
    "cinematic": (
        "Cinematic shot",
        "A cinematic scene",
        "Cinematic style with dramatic lighting",
        "A moody cinematic take",
    ),
    "anime": ("Anime style", "An anime scene", "Hand-drawn anime style", "In the style of Japanese anime"),
}
STYLE_SUFFIXES: dict[str, tuple[str, ...]] = {
    "realistic": ("in a realistic style", "rendered realistically", "photorealistic"),
    "cinematic": ("in a cinematic style", "filmed like a movie", "cinematic, with dramatic lighting"),
    "anime": ("in anime style", "drawn as anime", "an anime cartoon"),
}
STYLE_TRIGGERS: dict[str, tuple[str, ...]] = {
    "realistic": (
        "realistic",
        "realistically",
        "photorealistic",
        "photoreal",
        "lifelike",
        "live-action",
        "documentary",
    ),
    "cinematic": ("cinematic", "cinema", "film", "filmed", "filmic", "movie", "hollywood"),
    "anime": ("anime", "animated", "cartoon", "cel-shaded", "manga", "hand-drawn"),
}
SETTING_TRIGGERS: dict[str, tuple[str, ...]] = {
    "indoor": ("indoors", "indoor", "inside", "room", "hall", "studio", "gym", "warehouse", "kitchen"),
    "outdoor": (
        "outdoors",
        "outdoor",
        "outside",
        "open air",
        "park",
        "backyard",
        "yard",
        "garden",
        "field",
        "lawn",
        "street",
        "courtyard",
    ),
}
INDOOR_PLACES: tuple[str, ...] = ("indoors", "inside", "in a room", "in an empty hall", "in a studio")
OUTDOOR_PLACES: tuple[str, ...] = ("outdoors", "outside", "in the open air", "in a backyard", "in a park")
FLOOR_PHRASES: dict[str, tuple[str, ...]] = {
    "wood": ("a wooden floor", "wooden floorboards", "a wood floor", "a parquet floor"),
    "concrete": ("a concrete floor", "bare concrete", "concrete ground"),
    "tile": ("a tiled floor", "a tile floor", "floor tiles"),
    "grass": ("grass", "a grassy lawn", "short grass"),
}
# Floor words that name the floor by themselves; "wood"/"wooden" only count right before a floor noun.
FLOOR_TRIGGERS: dict[str, tuple[str, ...]] = {
    "wood": ("parquet", "floorboards"),
    "concrete": ("concrete", "asphalt", "pavement", "cement"),
    "tile": ("tile", "tiled", "tiles"),
    "grass": ("grass", "grassy", "lawn", "turf"),
}
FLOOR_NOUNS: tuple[str, ...] = ("floor", "floors", "ground", "deck", "boards")
HOOP_TRIGGERS: tuple[str, ...] = ("hoop", "backboard", "basket", "rim", "net")
TANK_TRIGGERS: tuple[str, ...] = ("tank", "aquarium", "water")

# --- characters, speech, shots --------------------------------------------------------------------

BODY_WORDS: dict[str, tuple[str, ...]] = {
    "blob": ("round", "roundish", "plump"),
    "tall": ("tall", "lanky", "slender"),
    "square": ("boxy", "square", "blocky"),
}
CREATURE_NOUNS: tuple[str, ...] = ("creature", "critter")
SPEECH_VERBS: tuple[str, ...] = (
    "says", "said", "asks", "asked", "shouts", "shouted", "whispers", "yells", "calls", "exclaims",
    "replies", "answers", "adds", "continues", "mutters", "cries", "sings", "announces", "remarks",
)  # fmt: skip
FRAMING_PHRASES: dict[str, tuple[str, ...]] = {
    "wide": ("wide shot of the whole scene", "a wide establishing shot", "wide view of everything"),
    "wide_again": ("back to a wide shot", "wide shot again", "cut back out to the wide view"),
    "close": ("close-up on {target}", "close shot of {target}", "the camera moves in close on {target}"),
    "reverse": (
        "reverse angle of the scene",
        "a reverse shot from the other side",
        "reverse view, looking back the other way",
    ),
}
FRAMING_TRIGGERS: dict[str, tuple[str, ...]] = {
    "close": ("close-up", "closeup", "close", "tight", "zoom", "detail"),
    "reverse": ("reverse", "opposite", "other side", "reverse-angle"),
    "wide": ("wide", "establishing", "full view", "long shot", "overview"),
}
NUMBER_WORDS: dict[str, int] = {
    "a": 1, "an": 1, "one": 1, "another": 1, "single": 1, "two": 2, "three": 3, "four": 4, "five": 5,
    "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10, "pair": 2, "couple": 2, "several": 3,
    "some": 2, "few": 3,
}  # fmt: skip
DEFINITE_WORDS: tuple[str, ...] = ("the", "this", "that", "its", "their", "his", "her")
