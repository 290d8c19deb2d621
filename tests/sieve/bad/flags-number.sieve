# expect: :flags tag for the mirror command requires a string list
require "vnd.standby.mirror";
mirror :flags 1;
