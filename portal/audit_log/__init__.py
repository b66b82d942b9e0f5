"""The Protokoll (audit log) as a practice and support read it: the entries that audit.services
recorded, with names and German words for every detail. It sits above the features whose rows it
names; the features record through audit.services below them."""
