// Tutti.g4 -- the grammar of the Tutti journey language.
//
// A program is a sequence of imports followed by declarations: event and
// profile schemas, channels, contact policies and journeys. Newlines are
// whitespace; statements begin with a keyword, so a `;` between them is
// optional. The expression sub-language follows CEL's syntax and precedence
// (https://github.com/google/cel-spec/blob/master/doc/langdef.md), with
// `and`, `or`, `not` accepted as spellings of `&&`, `||`, `!`, and two
// literal forms of our own: durations (`7d`, `12h`, `1h30m`) and, in the
// places that take one, times of day (`20:00`).
//
// The parser is generated at build time into the build tree; only
// compiler/parse sees the generated types. Rule names below are referred to
// from compiler/parse/ast_builder.cc, one function per rule.
grammar Tutti;

// ---------------------------------------------------------------- program

program     : importDecl* decl* EOF ;

// The expression inside `{...}` of an interpolated message string.
standaloneExpr : expr EOF ;

importDecl  : IMPORT path=STRING ';'? ;

decl        : eventDecl | profileDecl | channelDecl | policyDecl | templateDecl
            | journeyDecl | testDecl ;

// event formulary_win keyed by account { account: string, brand: string }
// event rx_written keyed by hcp via prescriber { prescriber: string, ... }
eventDecl   : EVENT name=ident KEYED BY keyProfile=ident (VIA keyField=ident)?
              '{' fieldDecls? '}' ;

// profile hcp { id: string key, name: string, consent: set<string> }
profileDecl : PROFILE name=ident '{' fieldDecls? '}' ;

fieldDecls  : fieldDecl ((',' | ';')? fieldDecl)* (',' | ';')? ;
fieldDecl   : doc=STRING? name=ident ':' typeRef optional='?'? isKey=KEY? ;

typeRef     : name=anyName ('<' typeRef (',' typeRef)* '>')? ;

// channel email { kind message  to hcp  consent "email" }
channelDecl : CHANNEL name=ident '{' channelClause* '}' ;
channelClause
            : KIND kindName=anyName ';'?                          # channelKind
            | TO recipient=ident ';'?                           # channelRecipient
            | CONSENT topic=STRING ';'?                         # channelConsent
            | DESCRIPTION text=STRING ';'?                      # channelDescription
            ;

// policy contact { quiet_hours 20:00-08:00 local  cap email 2 per 7d ... }
policyDecl  : POLICY name=ident '{' policyClause* '}' ;
policyClause
            : QUIET_HOURS from=timeOfDay '-' until=timeOfDay LOCAL?
              (FOR channelSet)? ';'?                             # quietHoursClause
            | CAP channelSet count=INT PER window=DURATION ';'?  # capClause
            | REQUIRE CONSENT ';'?                               # consentClause
            | REQUIRE APPROVAL (FOR channelSet)? ';'?            # approvalClause
            | ARBITRATE BY PRIORITY (WITHIN window=DURATION)?
              (FOR channelSet)? ';'?                             # arbitrateClause
            | DEDUPE (FOR channelSet)? WITHIN window=DURATION ';'? # dedupeClause
            ;
// A channel set names channels; `any` stands for every channel of kind
// message and `task` for every task step: [any, rep_task].
channelSet  : channelName | '[' channelName (',' channelName)* ','? ']' ;
channelName : ident | ANY | TASK ;

// ---------------------------------------------------------------- content

// template "glidim-formulary-intro" for email {
//   approved "MLR-GLD-2026-014" until "2027-06-30"
//   subject "GLIDIM is now covered by {account}"
//   body file "content/glidim-formulary-intro.txt"
//   html file "content/glidim-formulary-intro.html"
//   locale "es" { subject "..."  body "..." }
// }
// The id is what a `send` names. Subjects and bodies are message strings
// (or files beside the declaring file) whose `{...}` holes are checked at
// every send of the template, in the sending step's scope.
templateDecl: TEMPLATE id=STRING FOR channel=ident '{' templateClause* '}' ;
templateClause
            : APPROVED approval=STRING (UNTIL expires=STRING)? ';'? # approvedClause
            | contentClause                                      # defaultContent
            | LOCALE tag=STRING '{' contentClause* '}' ';'?      # localeContent
            ;
contentClause
            : part=(SUBJECT | BODY | HTML) (text=STRING | FILE path=STRING) ';'? ;

// ---------------------------------------------------------------- tests

// test "a formulary win sends the intro e-mail" {
//   at "2026-03-02T09:00:00Z"
//   profile hcp { id: "h1", name: "Dr. Ada Park", consent: ["email"] }
//   event formulary_win { account: "empire-health", brand: "GLIDIM" }
//   expect send email "glidim-formulary-intro" to "h1"
//   wait 7d
//   expect nothing
// }
// A journey test, run by `tutti test` on a virtual clock: profiles name
// only the fields that matter, events happen at the test's clock, `wait`
// moves the clock, and each `expect` is checked where it stands.
testDecl    : TEST name=STRING '{' testItem* '}' ;
testItem
            : AT time=STRING ';'?                                # testClock
            | PROFILE profile=ident '{' varInits? '}' ';'?       # testProfile
            | EVENT event=ident '{' varInits? '}' ';'?           # testEvent
            | WAIT DURATION ';'?                                 # testWait
            | EXPECT expectation ';'?                            # testExpect
            ;
expectation
            : SEND channel=ident message=STRING (TO who=STRING)?
              (WITH '{' varInits? '}')?                          # expectSend
            | SUPPRESSED channel=ident message=STRING (TO who=STRING)?
              (REASON reason=STRING)?                            # expectSuppressed
            | TASK who=STRING message=STRING?                    # expectTask
            | NOTHING                                            # expectNothing
            | WAITING journey=ident (FOR who=STRING)? (AT label=ident)? # expectWaiting
            ;

// ---------------------------------------------------------------- journeys

journeyDecl : JOURNEY name=ident (FOR customer=ident)? '{' journeyItem* '}' ;

journeyItem : meta | trigger | audience | exitCriterion | step ;

meta
            : TITLE text=STRING ';'?                             # titleMeta
            | OWNER text=STRING ';'?                             # ownerMeta
            | PRIORITY value=INT ';'?                            # priorityMeta
            | VERSION value=INT ';'?                             # versionMeta
            | REENTRY (AFTER window=DURATION | NEVER | ALWAYS) ';'? # reentryMeta
            | MIGRATE '{' migration* '}' ';'?                    # migrateMeta
            ;

// migrate { cooling_off   reminder -> follow_up   "wait@31" -> cooling_off }
// Instances of the running version resting at a labelled step (or a step
// named by its id) move to this version's step with the label after `->`
// (the same label without one).
migration   : (from=ident | fromStep=STRING) (ARROW to=ident)? ';'? ;

// on formulary_win as win where win.brand == "GLIDIM"
trigger     : ON eventPattern ';'? ;
eventPattern: event=ident (AS binding=ident)? (WHERE cond=expr)? ;

// audience hcp where hcp.account == win.account
audience    : AUDIENCE profile=ident WHERE cond=expr ';'? ;

// exit when rx_written as rx where rx.hcp == hcp.id
// goal when rx_written as rx where rx.hcp == hcp.id
exitCriterion: kind=(EXIT | GOAL) WHEN eventPattern ';'? ;

block       : '{' step* '}' ;
body        : block | step ;

// A step, optionally labelled (`cooling_off: wait 3d`) so that a later
// version's `migrate` can name it.
step        : (label=ident ':')? plainStep ;

plainStep
            : SEND channel=ident message=STRING (TO recipient=expr)?
              (WITH '{' varInits? '}')? ';'?                     # sendStep
            | verb=(TASK | NOTIFY) assignee message=STRING
              (VIA channel=ident)? (DUE due=durationExpr)? ';'?  # taskStep
            | WAIT durationExpr ';'?                             # waitDurationStep
            | WAIT UNTIL timeOfDay LOCAL? ';'?                   # waitTimeOfDayStep
            | WAIT UNTIL at=expr ';'?                            # waitUntilStep
            | WAIT UP TO durationExpr FOR eventPattern
              (THEN then=block)? (TIMEOUT timeout=block)? ';'?   # waitEventStep
            | ifChain                                            # ifStep
            | CHOOSE '{' whenArm+ (OTHERWISE ARROW otherwise=body)? '}' # chooseStep
            | CHOOSE BEST BY score=expr '{' optionArm+
              (OTHERWISE ARROW otherwise=body)? '}'              # chooseBestStep
            | SPLIT '{' splitArm+ '}'                            # splitStep
            | START journey=ident ';'?                           # startStep
            | EMIT event=ident '{' varInits? '}' ';'?            # emitStep
            | LET name=ident '=' value=expr ';'?                 # letStep
            | SET name=ident '=' value=expr ';'?                 # setStep
            | END ';'?                                           # endStep
            ;

// if a { ... } else if b { ... } else { ... }
ifChain     : IF cond=expr then=block (ELSE (elseIf=ifChain | otherwise=block))? ;

assignee    : profile=ident WHERE cond=expr (BEST BY score=expr)? # routedAssignee
            | who=expr                                           # directAssignee
            ;

whenArm     : WHEN cond=expr ARROW body ;
optionArm   : option=ident ARROW body ;
splitArm    : percent=INT '%' label=ident ARROW body ;

varInits    : varInit (',' varInit)* ','? ;
varInit     : name=ident ':' value=expr ;

durationExpr: DURATION | '-' DURATION | INT ;
timeOfDay   : hour=INT ':' minute=INT ;

// ---------------------------------------------------------------- expressions
// CEL precedence, loosest first: ?: || && relations + - * / % unary member.

expr        : cond=conditionalOr ('?' then=conditionalOr ':' otherwise=expr)? ;
conditionalOr
            : conditionalAnd (ops+=('||' | OR) conditionalAnd)* ;
conditionalAnd
            : relation (ops+=('&&' | AND) relation)* ;
relation    : calc
            | relation op=('<' | '<=' | '>=' | '>' | '==' | '!=' | IN) relation
            ;
calc        : unary
            | calc op=('*' | '/' | '%') calc
            | calc op=('+' | '-') calc
            ;
unary       : member                                             # memberExpr
            | (ops+='!' | ops+=NOT)+ member                      # logicalNot
            | ops+='-'+ member                                   # negate
            ;
member      : primary                                            # primaryExpr
            | member '.' field=fieldName                         # select
            | member '.' method=anyName '(' args=exprList? ')'   # methodCall
            | member '[' index=expr ']'                          # indexExpr
            ;
primary     : leadingDot='.'? name=ident                         # identExpr
            | leadingDot='.'? name=ident '(' args=exprList? ')'  # callExpr
            | '(' inner=expr ')'                                 # parens
            | '[' elems=exprList? ','? ']'                       # listLiteral
            | '{' entries=mapEntries? ','? '}'                   # mapLiteral
            | literal                                            # literalExpr
            ;
exprList    : expr (',' expr)* ;
mapEntries  : mapEntry (',' mapEntry)* ;
mapEntry    : key=expr ':' value=expr ;

literal     : INT | UINT | DOUBLE | STRING | BYTES | DURATION
            | TRUE | FALSE | NUL ;

// Names. Keywords that a marketer is likely to use as a field or binding
// name stay usable as identifiers; after a '.', every keyword is a name.
ident       : IDENT | KIND | TITLE | OWNER | PRIORITY | VERSION | KEY | DUE
            | DESCRIPTION | CONSENT | LOCAL | NEVER | ALWAYS | AFTER
            | PER | WITHIN | BEST | THEN | VIA | UP | MIGRATE
            | TEMPLATE | APPROVED | APPROVAL | SUBJECT | BODY | HTML | FILE
            | LOCALE | TEST | AT | EXPECT | SUPPRESSED | REASON | NOTHING | WAITING ;
// A selected field may also be written in backticks, CEL's escaped form
// for keys that are not names: headers.`content-type`.
fieldName   : anyName | ESCAPED_IDENT ;
anyName     : ident | ANY | IMPORT | EVENT | KEYED | BY | PROFILE | CHANNEL | TO
            | POLICY | QUIET_HOURS | CAP | REQUIRE | ARBITRATE | DEDUPE
            | JOURNEY | FOR | REENTRY | ON | AS | WHERE | AUDIENCE | EXIT
            | GOAL | WHEN | SEND | WITH | TASK | NOTIFY | WAIT | UNTIL
            | TIMEOUT | IF | ELSE | CHOOSE | OTHERWISE | SPLIT | START | EMIT
            | LET | SET | END | AND | OR | NOT | IN | TRUE | FALSE | NUL ;

// ---------------------------------------------------------------- lexer

IMPORT : 'import' ;   EVENT : 'event' ;      KEYED : 'keyed' ;   BY : 'by' ;
VIA : 'via' ;         PROFILE : 'profile' ;  KEY : 'key' ;
CHANNEL : 'channel' ; KIND : 'kind' ;        TO : 'to' ;
CONSENT : 'consent' ; DESCRIPTION : 'description' ;
POLICY : 'policy' ;   QUIET_HOURS : 'quiet_hours' ;  LOCAL : 'local' ;
CAP : 'cap' ;         PER : 'per' ;          ANY : 'any' ;
REQUIRE : 'require' ; ARBITRATE : 'arbitrate' ;      WITHIN : 'within' ;
DEDUPE : 'dedupe' ;   JOURNEY : 'journey' ;  FOR : 'for' ;
TITLE : 'title' ;     OWNER : 'owner' ;      PRIORITY : 'priority' ;
VERSION : 'version' ; REENTRY : 'reentry' ;  AFTER : 'after' ;
MIGRATE : 'migrate' ;
TEMPLATE : 'template' ; APPROVED : 'approved' ; APPROVAL : 'approval' ;
SUBJECT : 'subject' ;   BODY : 'body' ;  HTML : 'html' ;  FILE : 'file' ;
LOCALE : 'locale' ;
TEST : 'test' ;         AT : 'at' ;      EXPECT : 'expect' ;
SUPPRESSED : 'suppressed' ; REASON : 'reason' ; NOTHING : 'nothing' ;
WAITING : 'waiting' ;
NEVER : 'never' ;     ALWAYS : 'always' ;    ON : 'on' ;
AS : 'as' ;           WHERE : 'where' ;      AUDIENCE : 'audience' ;
EXIT : 'exit' ;       GOAL : 'goal' ;        WHEN : 'when' ;
SEND : 'send' ;       WITH : 'with' ;        TASK : 'task' ;
NOTIFY : 'notify' ;   DUE : 'due' ;          WAIT : 'wait' ;
UNTIL : 'until' ;     UP : 'up' ;            TIMEOUT : 'timeout' ;
THEN : 'then' ;       IF : 'if' ;            ELSE : 'else' ;
CHOOSE : 'choose' ;   OTHERWISE : 'otherwise' ;      BEST : 'best' ;
SPLIT : 'split' ;     START : 'start' ;      EMIT : 'emit' ;
LET : 'let' ;         SET : 'set' ;          END : 'end' ;
AND : 'and' ;         OR : 'or' ;            NOT : 'not' ;
IN : 'in' ;           TRUE : 'true' ;        FALSE : 'false' ;
NUL : 'null' ;

ARROW : '->' ;

// A duration: one or more number-unit pairs, largest unit first by
// convention (`1h30m`). Units: w d h m s ms.
DURATION : (DIGIT+ DURATION_UNIT)+ ;
fragment DURATION_UNIT : 'ms' | 'w' | 'd' | 'h' | 'm' | 's' ;

DOUBLE : DIGIT+ '.' DIGIT+ EXPONENT?
       | DIGIT+ EXPONENT
       | '.' DIGIT+ EXPONENT?
       ;
UINT   : DIGIT+ [uU] | '0x' HEXDIGIT+ [uU] ;
INT    : DIGIT+ | '0x' HEXDIGIT+ ;

// String and bytes literals, in every form CEL has: quoted with " or ',
// triple-quoted, raw (r/R prefix: no escapes), bytes (b/B prefix).
STRING : STRING_BODY | RAW STRING_RAW_BODY ;
BYTES  : [bB] (STRING_BODY | RAW STRING_RAW_BODY)
       | RAW [bB] STRING_RAW_BODY ;

fragment RAW : [rR] ;
// Any backslash pair is lexed as an escape; compiler/parse/literals.cc
// decodes CEL's escapes (\n \t \\ \" \xHH \uHHHH \UHHHHHHHH \ooo ...)
// and reports any other by name.
fragment STRING_BODY
       : '"""' (ANY_ESCAPE | ~'\\' )*? '"""'
       | '\'\'\'' (ANY_ESCAPE | ~'\\' )*? '\'\'\''
       | '"' (ANY_ESCAPE | ~[\\"\n\r])* '"'
       | '\'' (ANY_ESCAPE | ~[\\'\n\r])* '\''
       ;
fragment ANY_ESCAPE : '\\' ~[\n\r] ;
fragment STRING_RAW_BODY
       : '"""' .*? '"""'
       | '\'\'\'' .*? '\'\'\''
       | '"' ~["\n\r]* '"'
       | '\'' ~['\n\r]* '\''
       ;

IDENT : [_a-zA-Z] [_a-zA-Z0-9]* ;
ESCAPED_IDENT : '`' ~[`\n\r]+ '`' ;

fragment DIGIT    : [0-9] ;
fragment HEXDIGIT : [0-9a-fA-F] ;
fragment EXPONENT : [eE] [+-]? DIGIT+ ;

// Punctuation the parser names literally.
EQ : '==' ; NE : '!=' ; LE : '<=' ; GE : '>=' ; LT : '<' ; GT : '>' ;
LOGICAL_AND : '&&' ; LOGICAL_OR : '||' ; BANG : '!' ;
ASSIGN : '=' ; QUESTION : '?' ; COLON : ':' ; SEMI : ';' ; COMMA : ',' ;
DOT : '.' ; LPAREN : '(' ; RPAREN : ')' ; LBRACKET : '[' ; RBRACKET : ']' ;
LBRACE : '{' ; RBRACE : '}' ; PLUS : '+' ; MINUS : '-' ; STAR : '*' ;
SLASH : '/' ; PERCENT : '%' ;

WS            : [ \t\r\n\f]+ -> skip ;
LINE_COMMENT  : '//' ~[\r\n]* -> skip ;
BLOCK_COMMENT : '/*' .*? '*/' -> skip ;

// Anything else is one bad character; the parser reports it with its
// location instead of the lexer printing to stderr.
UNTERMINATED_STRING : [rRbB]? [rRbB]?
                      ( '"' ~["\n\r]* | '\'' ~['\n\r]*
                      | '"""' (~'"' | '"' ~'"' | '""' ~'"')*
                      | '\'\'\'' (~'\'' | '\'' ~'\'' | '\'\'' ~'\'')*
                      ) ;
BAD_CHAR : . ;
