import FingerprintCore

/// The shared English word list of the synthetic sources.
///
/// 3694 distinct lower-case ASCII words (common nouns, verbs in several
/// forms, adjectives, adverbs, function words, numerals), written for
/// Fingerprint and sorted alphabetically. Every word is a run of letters
/// `a`–`z`, so each is exactly one token for every word tokenizer. The order
/// is part of the generator's output: changing this list changes every
/// synthetic corpus (bump `CorpusGenerator.version`).
package enum WordList {
    /// The words, sorted, distinct.
    public static let english: [String] = text.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init)

    private static let text = """
        a ability able about above absence absent absolutely abstract absurd academy accent accept
        access accident accordingly account achievement acid across act action active actor actual
        actually acute add added addition address admiral admire admit adult adventure advertising
        advice advise affair afford afraid after again against age agency agenda agent aggressive ago
        agree agreed agreement aim air airport alarm album alcohol alert alive all alley alliance allow
        allowed almost along alphabet already also although altitude always am ambition ambulance amid
        among amount an analysis ancestor ancient and anger angle angry animal ankle anniversary
        announce annual another answer answered ant anxiety anxious any anybody anyone anything anyway
        anywhere apartment ape apparent appeal appear appeared appetite applause apple apply appoint
        appointment approach appropriate approval approve april arch are area areas argue argument arise
        arisen arm army arose around arrange arrangement arrest arrival arrive arrogant arrow art
        article artist as ash ashamed asked asking asleep aspect assembly assignment assistance
        assistant association assumption at ate athlete atmosphere attack attempt attend attention
        attitude attorney attractive audience august aunt author authority automatic autumn available
        avenue average avoid awake award aware awareness away awful awkward awoke awoken baby back bacon
        bad baggage bake baker baking balance ball ban banana band bank banker bare barely bargain bark
        barley barn barrier base basic basis basket bath bathe battery battle bay be beach bean bear
        beard beat beaten beautiful beauty beaver became because become bed bee beef been beer beetle
        before beg began begin begun behave behavior behind being belief believed belong below bench
        bend beneath benefit bent berry beside besides best bet better between beyond bicycle bid bidden
        big bill billion bind biologist birch bird birth birthday bishop bit bite bitten bitter black
        blade blank blanket bled bleed bless blessing blew blind blink block blonde blood bloody blow
        blown blue board boast boat body boil bold bolt bomb bond bone book boot border bore bored
        boring borne borrow boss both bottle bottom bought bounce bound boundary bow bowl box boy brain
        brake branch brand brave bravery bread break breakfast breast breath breathe bred breed breeze
        brick bride bridge brief briefly bright brilliant bring bringing broad broke broken brook
        brother brought brown brush bubble bucket budget buffalo build builder building built bull
        bullet bump bundle burden burn burst bury bush business busy but butcher butter butterfly button
        buy buying buzz by cabbage cabin cable cafe cage cake calculate calendar call called calling
        calm came camel camera camp campaign campus can canal cancer candidate candle candy cannot
        canvas canyon capable capacity capital captain car card care career careful carefully careless
        cargo carpenter carpet carriage carried carrot carry carrying cart carve case cash cast castle
        casual cat catch category cattle caught cause caused cave ceiling center central century
        ceremony certain certainly chain chair chalk challenge chamber champion chance change changed
        changing channel chaos chapel chapter character charge charity charm chart chase cheap cheat
        check cheek cheer cheerful cheese chemical chemist chemistry cherry chest chew chicken chief
        child children chin chocolate choke choose chop chorus chose chosen church cinema circle circuit
        circumstance citizen city civil claim clap classic classroom clay clean clear clearly clerk
        clever client cliff climate climb cling clinic clip clock close closed closely closet cloth
        clothes cloud cloudy club clue clumsy clung coach coal coarse coast coat cod code coffee coin
        cold collar colleague collect collection college colony column comb combination come comedy
        comfort comfortable coming command comment commerce commission committee common communication
        community companion company comparison competition complain complaint complete completely
        complex component composition concentrate concept concern concert conclusion condition
        conference confess confidence confident conflict confuse confusion congress connect connection
        conscience conscious consequence consequently consider consist constant constantly construction
        consultant consumer contact contain container content contest context continue contract
        contribution control convention conversation cook cooked cookie cooking cool copper copy corn
        corner correct corridor cost costly cottage cotton couch cough could council count counter
        country couple courage course court cousin cover covered cow crab crack craft crash crawl crazy
        cream created creative creature credit creek creep crept crew crime crisis criterion critical
        criticism crocodile crop cross crow crowd crown crude cruel cruise crush cry crying cultural
        culture cup cupboard cure curiosity curious curl currency current currently curtain curve
        cushion custom customer cut cute cutting cycle daily daisy damage damp dance danced dancer
        dancing danger dangerous dare dark data daughter dawn day days dead deaf deal dealer dealt dear
        death debate debt decade decay deceive december decent decide decided decision declaration
        decline decorate deep deeply deer defeat defense defensive definite definitely definition degree
        delay delicate delicious delight deliver delivery demand democracy dense dentist department
        departure depend dependent deposit depression depth deputy describe described desert deserve
        desire desk desperate despite destination destiny destroy detail detect develop development
        device diagram dialogue diamond diary did died diet difference different difficult difficulty
        dig digital dignity dimension dinner direct direction directly director dirty disagree disappear
        disaster discipline discount discover discovery discussion disease dish dislike display distance
        distant distinction district dive divide divine division doctor doctrine document does dog doing
        dolphin domain domestic done donkey door dose double doubt dove down dozen draft drag drain
        drama dramatic drank draw drawer drawing drawn dream dreamed dreaming dress drew drink drinking
        drip drive driven driver driving drop dropped drove drown drum drunk dry duck dug duke dull dumb
        during dusk dust duty each eager eagle ear early earn earth ease easily eastern easy eat eaten
        eating economic economy edge edition editor educate education educational effect effectively
        effort egg eight eighteen eighth eighty either elbow elder elderly election electric electricity
        elegant element elephant elevator eleven eligible elm embarrass emergency emotion emotional
        emphasis empire employ employee employer empty encounter encourage end ended ending endless
        enemy energetic energy engine engineer enjoy enormous enough enter entered entertain entire
        entirely entry envelope environment envy episode equal equally equipment era error escape
        especially essay essential essentially estate eternal even evening event eventually ever every
        everybody everyone everything evidence evil exact exactly exam examine example excellent except
        exception exchange excite excited excitement exciting excuse exercise exhibition exist existence
        exit exotic expand expansion expect expedition expense expensive experience expert explain
        explained explanation explode explosion exposure expression extend extension extent extra
        extreme extremely eye fable fabric face facility fact factor factory fade fail failure fair
        fairly faith faithful fall fallen falling false fame familiar family famous fancy fantastic far
        farm farmer fashion fast fasten fat fatal fate father fault favor favorite fax fear feast
        feature february fed federal fee feed feel feeling feet fell felt fence festival fetch fever few
        fewer fiction field fierce fifteen fifth fifty fight fighting figure file fill filled film final
        finally finance financial find finding fine finger finished fire firm firmly first fish
        fisherman fit five fix flag flame flap flash flat fled flee flesh flew flexible flight fling
        float flock flood floor flour flow flower flown fluffy fluid flung fly flying focus fog fold
        folk follow followed follower following fool foolish foot for forbade forbid forbidden force
        foreign foreigner forest forgave forget forgive forgiven forgot forgotten fork form formal
        formed former formula fortunate fortune forty fought found foundation fountain four fourteen
        fourth fox fraction frame frank frankly free freedom freely freeze frequent frequently fresh
        friday friend friendly frighten frog from front frost froze frozen fruit fry fuel full fully
        function fund funeral funny furious furniture further furthermore future gallery game gap garage
        garden garlic gas gate gather gave gaze gear gender general generally generation genius gentle
        gentleman gently genuine gesture get getting ghost giant gift gifted giraffe girl girls give
        given giving glad glance glass glimpse global glove glow glue go goal goat god going gold golden
        gone good goose gorgeous gorilla got government governor grab grace graceful grade gradually
        grain grammar grand grandfather grandmother grant grape graph grass grate grateful grave gravity
        gray grease great greatly greed greedy green greet grew grief grim grin grind grip groan groom
        gross ground group grow growing grown growth guarantee guard guess guest guide guilt guilty
        guitar gulf habit had hail hair half hall hammer hand handle hands handsome handy hang happen
        happened happening happiness happy harbor hard hardly harm harmony harsh harvest has hat hate
        hated hatred haunt have having hawk he head heading health healthy heap hear heard hearing heart
        heat heavily heavy heel height held help helped helpful helping helpless hence her here heritage
        hero hers herself hid hidden hide hiding high highly highway hill him himself hip his historic
        history hit hobby hold holding holiday holy home honest honestly honesty honey honor hook hop
        hope hoped hopefully hoping horizon horrible horror horse hospital host hostile hot hotel hour
        house household hover how however hug huge hum human humble humor hundred hung hunger hungry
        hunt hunter hurried hurry hurt husband hypothesis i ice icy idea ideal identical identify
        identity idle if ignore ignored ill illegal illness illusion image imagine imagined immediate
        immediately immense immigrant immune impact impatient important impossible impress impression
        improve impulse in incident include income increase increasingly indeed index individual
        industry infant infection inflation influence inform information ingredient initially inject
        injure injury ink inn innocent innovation input inquiry insect inside insight inspection
        inspiration instance instant instead instinct institution instruct instruction instrument
        insurance intelligence intend intense intention interest interfere interior internal interrupt
        interval interview into introduce introduction invasion invent investment invisible invitation
        invite iron irritate is island issue it itch item its itself jacket jail jam january jar jaw
        jealous jealousy jewel job jog john join joined joint joke jolly journal journalist journey joy
        judge judgment juggle juice july jump jumped jumping june jungle junior jury just justice keen
        keep keeping kept kettle key keyboard kick kid kidney kill killed kind king kingdom kiss kitchen
        kite knee kneel knelt knew knife knight knit knock knot know knowing knowledge known label
        laboratory ladder lady laid lain lake lamp land landscape lane language laptop large largely
        laser last late lately later laugh laughed laughing launch law lawn lawyer lay layer lazy lead
        leader leading leaf league lean leant leap leapt learn learned learning least leave leaving
        lecture lecturer led left leg legal legend leisure lemon lend length lengthy lent leopard less
        lesson let letter letting lettuce level liberal liberty library license lick lid lie life light
        lighten lightning like liked likely likewise lily limb limit limited line link lion lip liquid
        list listen listened lit literally literary literature little live lived lively liver living
        lizard load loan lobby lobster local location lock log logic loneliness lonely long look looked
        looking loose lord lose losing loss lost loud loudly lounge love loved lovely loving low loyal
        luck lucky luggage lump lunch lung machine mad made magazine magic magnet magnificent maid mail
        main mainly major majority make making male mammal man manage managed manager manner manual
        manufacturer many map maple march margin marine mark market marriage married marry mask mason
        mass massive master match mate material mathematics matter mature maximum may mayor me meadow
        meal mean meaning means meant meanwhile measure meat mechanism medal media medical medicine meet
        meeting melody melon melt member members membership memorial memorize memory men mend mental
        mention menu merchant mercy mere merely merit mess message messy met metal method middle
        midnight might mild military milk mill million mind mine miner mineral minimum minister minor
        minority minute minutes miracle mirror misery miss missed mission mist mistake mix mixed mixture
        moan mode model moderate modern modest moist moment monday money monk monkey month mood moon
        moor moose moral more moreover morning mosquito most mostly moth mother motion motive motor
        mountain mourn mouse mouth move moved movement moving much mud muddle mug mule multiply murder
        muscle museum music musician must mutual my myself mystery myth nail name namely napkin
        narrative narrow nasty nation national native natural naturally nature naughty navy near nearly
        neat neatly necessarily necessary necessity neck need needed needing needle negative negotiation
        neighbor neither nephew nerve nervous nest net network neutral never nevertheless new newspaper
        next nice niece night nine nineteen ninety ninth no noble nobody nod noise noisy none
        nonetheless nonsense noon norm normal normally northern nose not notable note nothing notice
        noticed notion novel november nucleus number numerous nun nurse nursery nut oak oat obey object
        obligation observation observe obstacle obtain obvious obviously occasion occasionally
        occupation occur ocean october odd of off offend offense offer offered office officer official
        officially offspring often oil okay old on once one onion only onto open opened opening openly
        operation opinion opponent opportunity opposite opposition optimistic option or oral orange
        orbit orchestra order ordered ordinary organ organic organization origin original originally
        orphan ostrich other others otherwise otter our ours ourselves out outcome outer outline output
        outside outstanding oven over overall overflow owe owl own owned owner ox oxygen oyster pace
        pack package paddle page paid pain painful paint painter pair palace pale palm pan panel panic
        paper parade paragraph parallel parcel parent park parliament parrot part participant particle
        particular partly partner partnership party pass passage passed passenger passion passive
        passport past pastor pasture patch path patience patient pattern pause pavement pay paying
        payment pea peace peaceful peach peak pear pearl peasant pebble peck pedal peel peep pen penalty
        pencil penguin pension people pepper per percentage perception perfect perfectly perform
        performance perhaps period permanent permission permit personal personally persuasion phase
        phenomenon philosophy phone photograph phrase physical physically physicist physics piano pick
        picked picture pie pig pigeon pile pilgrim pill pillar pillow pilot pin pinch pine pink pipe
        pitch place plague plain plainly plan planet planned plant plastic plate platform play played
        player playing plea pleasant please pleasure plenty plot plug plum plumber pocket poem poet
        poetry point pointed poison poke pole police policy polish polite politely political pollution
        pond pool poor poorly pop popular population porch pork port portion portrait position positive
        possess possession possibility possible possibly post poster pot potato potential potter pottery
        pour poverty powder power powerful practical practice practise praise pray prayer preach precede
        precious precise precisely prefer preference pregnancy pregnant premise preparation prepare
        prepared presence present presentation preserve president press pressure prestige presumably
        pretend pretty prevent previous previously prey price prick pride priest primarily primary prime
        prince princess principal principle print prior priority prison prisoner privacy private
        privilege prize probably problem problems procedure process produce produced producer product
        profession professor profile profit profound program progress prominent promise promised
        promotion promptly proof proper properly property proportion proposal prospect prosperity
        protect protection protein protest proud prove proved proven provide province provision
        psychology pub public publication publicity pull pulled pulse pump punch puncture punish
        punishment pupil purchase pure purple purpose push pushed put putting puzzle qualification
        quality quantity quarrel quarter queen quest question queue quick quickly quiet quietly quit
        quite quota quotation rabbit race radiate radiation radio rail railway rain raise raised ran
        rang range rank rapid rapidly rare rarely rat rate rather ratio raven raw reach reached reaction
        read reader readily reading ready real realise reality really rear reason reasonable rebellion
        receipt receive received recent recently reception recession recipe recognise recognition
        recommendation record recording recovery red reduce reduction reference reflect reflection
        reform refrigerator refugee refusal refuse region register regret regular regularly regulation
        reign reject rejoice relation relationship relative relatively relax release relevant reliable
        relief religion religious rely remain remedy remember remembered remind remote remove rent
        repair repeat repeatedly repetition replace replacement replied reply report reporter
        representative reproduce reputation request requirement rescue research reservation reserve
        residence resident residential resistance resolution resource respect response responsibility
        responsible rest restaurant restriction result retire retirement return returned revenge revenue
        review revolution reward rhyme rhythm ribbon rice rich ridden ride riding rifle right rigid ring
        rinse riot ripe rise risen risk ritual rival river road rob robber robin robot robust rock
        rocket rode role roll romance roof room root rope rose rot rough roughly round route routine row
        royal rub rubber rubbish rude rug ruin rule rumor run rung runner running rural rush sack sacred
        sacrifice sad sadly sadness safe safely safety said sail sailor saint salad salary sale salmon
        salt salty same sample sanctuary sand sang sank sat satellite satisfaction satisfied satisfy
        saturday sauce sausage save saved saw say saying scale scandal scarcely scare scared scary
        scatter scene scenery schedule scheme scholar scholarship school science scientist scold scope
        scorch score scrape scratch scream screen screw scribble script scrub sculpture sea seal search
        season seat second secret secretary section sector secure security see seed seeing seek seem
        seemed seems seen segment seldom selection sell selling seminar senate senator send sending
        senior sensation sense sensible sensitive sent sentence sentiment separate september sequence
        sergeant series serious seriously servant serve served service session set setting settle
        settlement seven seventeen seventh seventy several severe sew sewed sexual shade shadow shake
        shaken shall shallow shame shape share shark sharp sharply shave she shed sheep sheer sheet
        shelf shell shelter shepherd shift shine shiny shirt shiver shock shoe shone shook shoot shop
        shore short shortage shortly shot should shoulder show showed shower showing shown shrank shrimp
        shrink shrub shrug shrunk shut shy sibling sick side sigh sight sign signal signed silence
        silent silently silk silly silver similar simple simplicity simply sin since sincere sing singer
        singing single sink sip sister sit site sitting situation six sixteen sixth sixty size sketch
        ski skill skin skip skirt skull sky slap slave sleep sleeping sleeve slept slice slid slide
        slight slightly slim sling slip slit slogan slope slot slow slowly slung small smart smash smell
        smelt smile smiled smiling smith smoke smooth smoothly snack snail snake snatch sneeze sniff
        snore snow so soak social society sock soda sofa soft softly soil solar sold soldier solely
        solid solution solved some somebody somehow someone something sometimes somewhat son song soon
        soothe sore sorrow sorry sought sound soup sour source south southern space spare spark sparkle
        sparrow spat speak speaker speaking special specific specifically specimen spectrum speculation
        sped speech speed spell spelled spend spent sphere spider spill spin spine spirit spit spite
        splendid split spoil spoke spoken spokesman sponsor spoon sport spot sprang spray spread spring
        sprout spun squad square squash squeak squeal squeeze squirrel stable stadium staff stage stain
        stair stake stall stamp stand standard standing stank star stare start started starting state
        statement states station statue status stay stayed staying steadily steady steal steam steel
        steep steer stem step stepped stereotype stick sticky stiff still stimulus sting stink stir
        stitch stock stole stolen stomach stone stood stop stopped stopping storage store storm story
        stove straight strain strange stranger strap strategy straw stream street strength strengthen
        stress stretch stricken strict strictly strike striking string strip strive stroke strong
        strongly strove struck structure struggle strung stuck student students studied studio study
        stuff stung stupid style subject subsequently substance subtle subtract suburb succeed success
        successful succession such suck sudden suddenly suffer sufficient sugar suggest suggested suit
        suitcase summary summer summit sun sunday sung sunk sunny super superb superior supermarket
        supper supplement supply support supported suppose supreme sure surely surface surgeon surgery
        surplus surprise surround survey survival suspect suspend suspicion suspicious swam swan swear
        sweater sweep sweet swell swelled swept swift swiftly swim swimmer swimming swing switch swore
        sworn swum swung symbol symptom syndrome system table tailor take taken taking tale talent talk
        talked talking tall tame tank tap target task taste taught tax tea teach teacher teaching team
        tear tease technique technology teenager telephone telescope television tell telling temperature
        temple tempt ten tenant tendency tender tennis tense tension tent tenth term terrace terrible
        terribly terrify territory terror test text texture than thank that thaw the theater their
        theirs them theme themselves then theory therapy there therefore these thesis they thick thief
        thin thing things think thinking third thirsty thirteen thirty this thoroughly those though
        thought thousand thread threat three threw throat throne through throughout throw thrown thrust
        thumb thunder thursday thus tick ticket tickle tide tie tiger tight tightly till timber time
        times tiny tip tire tired tissue title to toad tobacco today toddler toe together toilet told
        tomato tomb tomorrow tone tongue tonight too took tool tooth top topic torch tore torn total
        totally touch touched tough tour tourism tourist tournament tow toward towards towel tower town
        toy trace track trade trader tradition traffic tragedy tragic trail train trainer transfer
        transition translation transport trap travel traveled traveler travelling tray tread treasure
        treat treatment treaty tree tremble trend trial triangle tribe tribute trick tried trip trod
        tropical trot trouble trout truck true truly trunk trust truth try trying tube tuesday tug
        tuition tulip tumble tuna tune tunnel turkey turn turned turning turnover turtle tutor twelve
        twenty twice twin twist two type typical typically ugly ultimate ultimately umbrella unable
        uncertainty uncle under underneath understand understood undress unfasten unfortunately uniform
        union unique unit unite united unity universal universe university unknown unless unlike unlock
        unpack untidy until unusual up upon upper upset urban urgent us use used useful useless using
        usual usually utterly vague valid valley valuable value vanish variable variation various vast
        vastly vegetable vehicle vein venture verdict verse version versus very vessel veteran via
        victim victory video view villa village vinegar violence violent violin virtual virtually virtue
        virus visa visible vision visit visited visitor visual vital vitamin vivid vocal voice volume
        volunteer vote voyage wage wagon wail waist wait waited waiter waiting wake walk walked walking
        wall wander want wanted wanting war warm warmly warmth warn warning was wash washed wasp waste
        watch watched watching water wave way we weak wealth wealthy weapon wear wearing weather weave
        weaver web wedding wednesday weed week weekend weekly weep weigh weight weird welcome welfare
        well went wept were west western wet whale what whatever wheat wheel when whenever where whereas
        wherever whether which whichever while whine whip whirl whisper whistle white who whoever whole
        whom whomever whose why wicked wide widely widow width wife wild wilderness wildly will willing
        willow win wind window wine wing wink winning winter wipe wire wisdom wise wish wished witch
        with withdraw withdrew within without witness wobble woke woken wolf woman won wonder wondered
        wonderful wood wooden wool word words wore work worked worker working workshop world worm worn
        worried worry worth worthy would wound wove woven wrap wreck wrestle wriggle wring wrist write
        writer writing written wrong wrote wrung yacht yard yawn year yearly years yell yellow yesterday
        yet york you young your yours yourself yourselves youth zebra zero zip zone zoo zoom
        """
}
