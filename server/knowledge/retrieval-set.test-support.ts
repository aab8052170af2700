/**
 * A small retrieval set written for Braid (not copied from anywhere): Japanese, English,
 * Chinese and Korean paragraphs, and natural questions whose answer paragraph is known.
 * Used by the keyword-search tests and by `npm run bench -- retrieval-hits`, which reports
 * top-1 / top-3 hit rates per language.
 */

export interface SetDocument {
  /** Document name (each paragraph becomes one chunk: `<name>#<index>`). */
  name: string;
  lang: 'ja' | 'en' | 'zh' | 'ko';
  paragraphs: string[];
}

export interface SetQuestion {
  lang: SetDocument['lang'];
  question: string;
  /** `<document name>#<paragraph index>` of the paragraph that answers it. */
  answer: string;
}

export const RETRIEVAL_DOCUMENTS: SetDocument[] = [
  {
    name: 'fuji',
    lang: 'ja',
    paragraphs: [
      '富士山は静岡県と山梨県の境にそびえる日本最高峰の山で、標高は3776メートルです。美しい円錐形の姿は古くから多くの絵画や和歌に描かれてきました。',
      '2013年、富士山は「信仰の対象と芸術の源泉」としてユネスコの世界文化遺産に登録されました。自然遺産ではなく文化遺産として認められた点が特徴です。',
      '一般の登山者が山頂を目指せるのは、例年7月上旬から9月上旬までの夏山シーズンに限られます。それ以外の時期は雪と強風のため、登山道は閉鎖されています。',
      '多くの人は五合目まで車やバスで上がり、そこから歩き始めます。吉田ルートは山小屋が多く、初めての登山者に最も人気があります。',
      '最後の大きな噴火は1707年の宝永噴火で、江戸の町にも火山灰が降り積もりました。現在も活火山に分類され、気象庁が常時観測を続けています。',
      '山頂付近は夏でも気温が氷点下近くまで下がることがあり、高山病にも注意が必要です。防寒着と雨具を必ず用意し、ゆっくりとしたペースで登ることが勧められています。',
    ],
  },
  {
    name: 'shinkansen',
    lang: 'ja',
    paragraphs: [
      '東海道新幹線は1964年10月1日、東京オリンピックの開幕直前に東京駅と新大阪駅の間で開業しました。世界で初めての本格的な高速鉄道とされています。',
      '現在の営業最高速度は東北新幹線の一部区間で時速320キロに達します。東海道新幹線では最高時速285キロで運転されています。',
      '開業以来、乗客が死亡する列車事故は一度も起きていません。地震を検知すると自動的に列車を止めるシステムが安全を支えています。',
      'N700Sは2020年に営業運転を始めた最新の車両で、停電時でも自力で走行できるバッテリーを搭載しています。車内の全席にコンセントが付いています。',
      'きっぷは駅の窓口や券売機のほか、スマートフォンのアプリでも予約できます。交通系ICカードを登録すれば、紙のきっぷなしで改札を通れます。',
      'リニア中央新幹線は超電導磁気浮上方式を採用し、品川と名古屋を約40分で結ぶ計画です。静岡県内の工事が遅れ、開業時期は未定となっています。',
    ],
  },
  {
    name: 'miso',
    lang: 'ja',
    paragraphs: [
      '味噌は大豆に麹と塩を加えて発酵させた日本の伝統的な調味料です。使う麹の種類によって、米味噌、麦味噌、豆味噌に分けられます。',
      '味噌汁を作るときは、まず昆布とかつお節でだしを取ります。だしが沸騰したら具材を入れ、火が通ってから味噌を溶き入れます。',
      '味噌を入れたあとに煮立たせると、香りが飛んで風味が落ちてしまいます。火を止める直前に溶かし入れるのがおいしく作るコツです。',
      '八丁味噌は愛知県岡崎市で作られる豆味噌で、二夏二冬と呼ばれる長い期間をかけて熟成させます。色が濃く、渋みのある味わいが特徴です。',
      '味噌には大豆由来のたんぱく質やビタミンが含まれていますが、塩分も多いため、減塩タイプの商品も増えています。',
      '手作り味噌は冬に仕込むのが一般的で、寒仕込みと呼ばれます。気温が低い時期に仕込むと雑菌が繁殖しにくく、ゆっくり発酵が進みます。',
    ],
  },
  {
    name: 'bees',
    lang: 'en',
    paragraphs: [
      'A honeybee colony has a single queen, a few hundred male drones and tens of thousands of female workers. The queen is the only bee that lays eggs, up to two thousand a day in early summer.',
      'Worker bees tell their sisters where flowers are with the waggle dance. The angle of the dance relative to gravity shows the direction of the food, and its duration shows the distance.',
      'Nectar is turned into honey by evaporation and enzymes. Workers fan their wings over the open cells until the water content falls below about eighteen percent, then seal the cells with wax.',
      'In winter the colony does not hibernate. The bees form a tight cluster around the queen and shiver their flight muscles to keep the centre of the cluster warm.',
      'Colony collapse disorder was first widely reported in 2006, when beekeepers found hives abandoned by their workers. Parasitic varroa mites and the viruses they spread are among the main suspects.',
      'A worker bee lives about six weeks in summer. She cleans cells and feeds larvae when young, guards the entrance later, and spends her last weeks foraging outside the hive.',
    ],
  },
  {
    name: 'aqueducts',
    lang: 'en',
    paragraphs: [
      'Rome was supplied by eleven aqueducts built over five hundred years. The first, the Aqua Appia, was completed in 312 BC and ran almost entirely underground.',
      'Roman engineers moved water by gravity alone. Channels descended with a very gentle gradient, often less than one metre per kilometre, across the whole route.',
      'Where a valley had to be crossed, the channel was carried on arches. The Pont du Gard in southern France, three tiers high, is the best-preserved example of such a bridge.',
      'Water arriving in the city was first collected in settling tanks and distribution castles, then sent to public fountains, baths and, for a fee, private houses.',
      'The water commissioner Frontinus wrote a treatise around 97 AD describing the system, its maintenance and the fraud of citizens who tapped the pipes illegally.',
      'Many aqueducts fell out of use after the sieges of the sixth century, when invaders cut the channels. Some were restored by the popes centuries later and still feed fountains today.',
    ],
  },
  {
    name: 'bicycle',
    lang: 'en',
    paragraphs: [
      'The first two-wheeled running machine was built by Karl Drais in 1817. The rider pushed it along with his feet, since it had no pedals at all.',
      'In the 1870s the high-wheeler or penny-farthing became popular. Its huge front wheel gave more distance per turn of the pedals but made falls dangerous.',
      'The safety bicycle of the 1880s had two wheels of equal size and a chain driving the rear wheel, the layout almost every bicycle still uses.',
      'John Boyd Dunlop introduced the pneumatic tyre in 1888 to make his son’s tricycle more comfortable. Air-filled tyres soon replaced solid rubber on racing bicycles.',
      'Derailleur gears let a rider change the chain between sprockets while moving. They were allowed in the Tour de France only from 1937.',
      'Today electric bicycles with a pedal-assist motor are among the fastest-growing kinds of vehicle in European cities, helped by purchase subsidies.',
    ],
  },
  {
    name: 'tea-zh',
    lang: 'zh',
    paragraphs: [
      '龙井茶产于浙江省杭州市西湖一带，是中国著名的绿茶之一，以色绿、香郁、味甘、形美著称。',
      '普洱茶主要产于云南省，分为生茶和熟茶两种，经过长时间存放后，口感会变得更加醇厚。',
      '乌龙茶属于半发酵茶，福建和台湾是主要产地，铁观音和大红袍都是代表品种。',
    ],
  },
  {
    name: 'kimchi-ko',
    lang: 'ko',
    paragraphs: [
      '김치는 배추와 무를 소금에 절인 뒤 고춧가루, 마늘, 젓갈 등으로 양념하여 발효시킨 한국의 전통 음식입니다.',
      '김장은 겨울을 앞두고 많은 양의 김치를 한꺼번에 담그는 풍습으로, 2013년 유네스코 인류무형문화유산에 등재되었습니다.',
      '한글은 1443년 세종대왕이 창제하였으며, 백성이 쉽게 글을 읽고 쓸 수 있도록 만든 문자입니다.',
    ],
  },
];

export const RETRIEVAL_QUESTIONS: SetQuestion[] = [
  { lang: 'ja', question: '富士山の高さは何メートルですか', answer: 'fuji#0' },
  { lang: 'ja', question: '富士山が世界遺産になったのはいつ？', answer: 'fuji#1' },
  { lang: 'ja', question: '富士山に登れる時期はいつからいつまでですか', answer: 'fuji#2' },
  { lang: 'ja', question: '初心者に人気の登山ルートは', answer: 'fuji#3' },
  { lang: 'ja', question: '富士山が最後に噴火したのはいつですか', answer: 'fuji#4' },
  { lang: 'ja', question: '新幹線が開業したのは何年ですか', answer: 'shinkansen#0' },
  { lang: 'ja', question: '新幹線の最高速度を教えてください', answer: 'shinkansen#1' },
  { lang: 'ja', question: '新幹線で死亡事故はありましたか', answer: 'shinkansen#2' },
  { lang: 'ja', question: 'N700Sのバッテリーについて', answer: 'shinkansen#3' },
  { lang: 'ja', question: 'リニアで品川から名古屋まで何分かかりますか', answer: 'shinkansen#5' },
  { lang: 'ja', question: '味噌汁のだしの取り方', answer: 'miso#1' },
  { lang: 'ja', question: '味噌を入れてから沸騰させてもいいですか', answer: 'miso#2' },
  { lang: 'ja', question: '八丁味噌はどこで作られていますか', answer: 'miso#3' },
  { lang: 'ja', question: '寒仕込みとは何ですか', answer: 'miso#5' },
  { lang: 'en', question: 'How many eggs does the queen bee lay?', answer: 'bees#0' },
  { lang: 'en', question: 'What does the waggle dance tell other bees?', answer: 'bees#1' },
  { lang: 'en', question: 'How do bees make honey from nectar?', answer: 'bees#2' },
  { lang: 'en', question: 'What do bees do in winter?', answer: 'bees#3' },
  { lang: 'en', question: 'What causes colony collapse disorder?', answer: 'bees#4' },
  { lang: 'en', question: 'When was the first Roman aqueduct built?', answer: 'aqueducts#0' },
  { lang: 'en', question: 'How did Roman aqueducts move water without pumps?', answer: 'aqueducts#1' },
  { lang: 'en', question: 'Which aqueduct bridge in France is best preserved?', answer: 'aqueducts#2' },
  { lang: 'en', question: 'Who wrote about the water system of Rome?', answer: 'aqueducts#4' },
  { lang: 'en', question: 'Who invented the running machine without pedals?', answer: 'bicycle#0' },
  { lang: 'en', question: 'Why were penny-farthings dangerous?', answer: 'bicycle#1' },
  { lang: 'en', question: 'Who introduced the pneumatic tyre?', answer: 'bicycle#3' },
  { lang: 'en', question: 'When were derailleur gears allowed in the Tour de France?', answer: 'bicycle#4' },
  { lang: 'zh', question: '龙井茶产于哪里？', answer: 'tea-zh#0' },
  { lang: 'zh', question: '普洱茶有哪两种？', answer: 'tea-zh#1' },
  { lang: 'zh', question: '铁观音属于什么茶？', answer: 'tea-zh#2' },
  { lang: 'ko', question: '김장이 유네스코에 등재된 해는?', answer: 'kimchi-ko#1' },
  { lang: 'ko', question: '한글은 누가 만들었나요?', answer: 'kimchi-ko#2' },
  { lang: 'ko', question: '김치는 어떻게 만드나요?', answer: 'kimchi-ko#0' },
];
