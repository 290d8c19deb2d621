# expect: requires a string as parameter, but a string list was found
require "vnd.standby.mirror";
mirror :mailbox ["Orders"];
