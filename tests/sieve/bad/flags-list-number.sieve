# expect: expecting string after ',' in string list, but found number
require "vnd.standby.mirror";
mirror :flags ["\\Seen", 1];
