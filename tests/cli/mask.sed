# mask.sed — applied (sed -E) to the outputs of the CLI test cases: values
# that differ on every run (the mailbox GUID inside entry IDs and keys, the
# clock in creation and modification times) become <varies>, so the rest of
# a `show` listing can be compared byte for byte.
s/^( *0x[0-9A-F]{8}  PR_(ENTRYID|PARENT_ENTRYID|STORE_ENTRYID|RECORD_KEY|STORE_RECORD_KEY|MAPPING_SIGNATURE|SEARCH_KEY|SOURCE_KEY|PARENT_SOURCE_KEY|CHANGE_KEY|PREDECESSOR_CHANGE_LIST|CREATION_TIME|LAST_MODIFICATION_TIME|IPM_[A-Z_]*ENTRYID|ADDITIONAL_REN_ENTRYIDS|VIEWS_ENTRYID|COMMON_VIEWS_ENTRYID|FINDER_ENTRYID|INSTANCE_KEY) +PT_[A-Z0-9_]+ +).*/\1<varies>/
# `mapix import` and `export` summaries: the time and the rate.
s/ in [0-9]+\.[0-9] s, [0-9]+ msg\/s\)/ in <varies>)/
